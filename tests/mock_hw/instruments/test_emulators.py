"""Emulated instruments: SCPI/TSP syntax as the manuals define it, error queues, faults."""

from __future__ import annotations

import pytest

from mock_hw import Route
from mock_hw.instruments import (
    InstrumentFaults,
    Keithley2400Emulator,
    Keithley2600BEmulator,
    Keysight33500BEmulator,
)


def drain(emulator, query="SYST:ERR?") -> list[str]:
    entries = []
    while (entry := emulator.handle(query)) not in ('0,"No error"', '+0,"No error"'):
        entries.append(entry)
    return entries


def test_2400_identity_and_empty_queue(bench):
    smu = Keithley2400Emulator(bench)
    assert smu.handle("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2400,")
    assert smu.handle(":SYST:ERR?") == '0,"No error"'


@pytest.mark.parametrize("line", [":SOUR:VOLT:LEV 0.2", ":source:voltage:level 0.2",
                                  "SOUR:VOLT 0.2", ":SOURce1:VOLTage:LEVel:IMMediate 0.2",
                                  "sour:func volt;volt 0.2", ":SOUR:VOLT MAX;:SOUR:VOLT 0.2"])
def test_2400_accepts_short_long_optional_and_compound_forms(bench, line):
    smu = Keithley2400Emulator(bench)
    assert smu.handle(line) is None
    assert smu.handle(":SOUR:VOLT?") == "+2.000000E-01"
    assert drain(smu) == []


@pytest.mark.parametrize(("line", "error"), [
    (":SOUR:VOLTS 1", '-113,"Undefined header"'),
    (":SOUR:VOLTA 1", '-113,"Undefined header"'),
    (":SOUR:VOLT:LEV 300", '-222,"Data out of range"'),
    (":SOUR:VOLT:LEV", '-109,"Missing parameter"'),
    (":SOUR:VOLT:LEV abc", '-104,"Data type error"'),
    (":OUTP MAYBE", '-224,"Illegal parameter value"'),
    (":SOUR2:VOLT 1", '-113,"Undefined header"'),
    ("*XYZ", '-113,"Undefined header"'),
])
def test_2400_bad_commands_queue_the_real_errors(bench, line, error):
    smu = Keithley2400Emulator(bench)
    assert smu.handle(line) is None
    assert drain(smu) == [error]


def test_2400_reading_with_output_off_is_error_803_and_no_reply(bench):
    smu = Keithley2400Emulator(bench)
    assert smu.handle(":READ?") is None
    assert drain(smu) == ['803,"Not permitted with OUTPUT off"']


def test_2400_reads_the_cell_and_clips_at_compliance(bench):
    smu = Keithley2400Emulator(bench)
    g = bench.array.conductance([0])[0]
    smu.handle(":SOUR:VOLT 0.2;:SENS:CURR:PROT 1e-3;:OUTP ON")
    volts, amps, _, _, status = (float(x) for x in smu.handle(":READ?").split(","))
    assert (volts, status) == (0.2, 0.0)
    assert amps == pytest.approx(0.2 * g, rel=0.1)
    smu.handle(":SENS:CURR:PROT 1e-9;:FORM:ELEM CURR,STAT")
    assert smu.handle(":READ?") == "+1.000000E-09,+8.000000E+00"


def test_error_queue_overflow_ends_in_350(bench):
    smu = Keithley2400Emulator(bench)
    for _ in range(15):
        smu.handle("BOGUS")
    errors = drain(smu)
    assert len(errors) == 10
    assert errors[-1] == '-350,"Queue overflow"'


def test_2600b_tsp_print_format_and_errors(bench):
    smu = Keithley2600BEmulator(bench)
    assert smu.handle("*IDN?") == "Keithley Instruments Inc., Model 2636B, 4123457, 3.3.5"
    assert smu.handle("print(smua.source.limiti)") == "1.00000e-01"
    smu.handle("smua.source.levelv = 0.2; smua.source.output = smua.OUTPUT_ON")
    amps = float(smu.handle("print(smua.measure.i())"))
    assert amps == pytest.approx(0.2 * bench.array.conductance([0])[0], rel=0.1)
    for bad in ("SMUA.source.levelv = 1", "smua.source.levelv = 1e3", "smua.source.limiti = 0",
                "smua.source.levelv 1"):
        assert smu.handle(bad) is None
    assert smu.handle("print(errorqueue.count)") == "4.00000e+00"
    records = [smu.handle("print(errorqueue.next())").split("\t") for _ in range(4)]
    assert [(float(r[0]), r[1].split(" at ")[0]) for r in records] == [
        (-286, "TSP Runtime error"), (1102, "Parameter too big"),
        (1102, "Parameter too small"), (-285, "TSP Syntax error")]


def test_2600b_measures_nothing_with_output_off(bench):
    smu = Keithley2600BEmulator(bench)
    assert smu.handle("print(smua.measure.i())") == "0.00000e+00"


@pytest.fixture
def pulser(bench):
    bench.bl_route[0, 0] = Route.PULSE
    gen = Keysight33500BEmulator(bench)
    gen.handle("FUNC PULS;:OUTP:LOAD INF;:VOLT:LOW 0;:VOLT:HIGH 2;:FUNC:PULS:WIDT 1e-6")
    gen.handle(":BURS:MODE TRIG;:BURS:NCYC 1;:BURS:STAT ON;:TRIG:SOUR BUS")
    assert drain(gen) == []
    return gen


def test_33500b_trigger_fires_one_pulse_only_with_output_on(pulser, bench):
    g0 = bench.array.conductance([0])[0]
    pulser.handle("*TRG")
    assert pulser.pulses_fired == 0
    pulser.handle("OUTP ON")
    pulser.handle("*TRG")
    assert pulser.handle("*OPC?") == "1"
    assert pulser.pulses_fired == 1
    assert bench.array.conductance([0])[0] > 10 * g0
    assert drain(pulser) == []


def test_33500b_refuses_triggers_and_conflicts(pulser):
    pulser.handle("TRIG:SOUR IMM;*TRG")
    pulser.handle("VOLT:HIGH -1")
    pulser.handle(":FUNC:PULS:WIDT 1")
    pulser.handle(":VOLT:HIGH 11")
    assert drain(pulser) == ['-211,"Trigger ignored"', '-221,"Settings conflict"',
                             '-221,"Settings conflict"', '-222,"Data out of range"']


def test_33500b_levels_follow_the_load(pulser):
    pulser.handle("VOLT:HIGH 8")
    assert drain(pulser) == []
    pulser.handle("OUTP:LOAD 50;:VOLT:HIGH 6")
    assert drain(pulser) == ['-222,"Data out of range"']


def test_injected_errors_and_delays(bench, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("mock_hw.instruments.base.time.sleep", slept.append)
    gen = Keysight33500BEmulator(bench, faults=InstrumentFaults(reply_delay=0.25, error_every=3,
                                                                error_code=-310,
                                                                error_message="System error"))
    gen.handle("*CLS")
    gen.handle("*RST")
    assert gen.handle("SYST:ERR?") == '+0,"No error"'  # third line: error pushed after it
    assert gen.handle("SYST:ERR?") == '-310,"System error"'
    assert slept == [0.25, 0.25]
