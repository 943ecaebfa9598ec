"""The emulated SMUs' sweeps: the 2400's list and staircase limits, the 2600B's buffer."""

from __future__ import annotations

import pytest

from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import Keithley2400Emulator, Keithley2600BEmulator


@pytest.fixture
def bench() -> SimulatedBench:
    bench = SimulatedBench(RRAMArray(DeviceModel(rows=4, cols=4, formed_at_start=True,
                                                 stuck_lrs_fraction=0, stuck_hrs_fraction=0),
                                     seed=1))
    bench.select([5])
    bench.bl_route[0, 1] = Route.SMU
    bench.gate[0, 1] = 1.2
    return bench


def test_2400_list_takes_100_values_per_command_and_2500_in_all(bench) -> None:
    smu = Keithley2400Emulator(bench)
    hundred = ",".join(["0.1"] * 100)
    smu.handle(f":SOUR:LIST:VOLT {hundred},0.1")
    assert smu.handle(":SYST:ERR?") == '-223,"Too much data"'
    smu.handle(f":SOUR:LIST:VOLT {hundred}")
    for _ in range(24):
        smu.handle(f":SOUR:LIST:VOLT:APP {hundred}")
    assert smu.handle(":SOUR:LIST:VOLT:POIN?") == "2500"
    smu.handle(":SOUR:LIST:VOLT:APP 0.1")
    assert smu.handle(":SYST:ERR?") == '-223,"Too much data"'
    smu.handle(":TRIG:COUN 2501")
    assert smu.handle(":SYST:ERR?") == '-222,"Data out of range"'


def test_2400_staircase_points_and_a_count_beyond_them_starts_over(bench) -> None:
    smu = Keithley2400Emulator(bench)
    smu.handle(":SOUR:VOLT:MODE SWE;:SOUR:VOLT:STAR 0.1;:SOUR:VOLT:STOP 0.3;:SOUR:VOLT:STEP 0.1")
    assert smu.handle(":SOUR:SWE:POIN?") == "3"
    smu.handle(":FORM:ELEM VOLT;:TRIG:COUN 5;:OUTP ON")
    volts = [float(x) for x in smu.handle(":READ?").split(",")]
    assert volts == pytest.approx([0.1, 0.2, 0.3, 0.1, 0.2])


def test_2400_sweep_points_take_delay_plus_integration_time(bench) -> None:
    smu = Keithley2400Emulator(bench)
    smu.handle(":SOUR:VOLT:MODE LIST;:SOUR:LIST:VOLT 0.1,0.2;:TRIG:COUN 2;:SOUR:DEL 0.01")
    smu.handle(":SENS:CURR:NPLC 0.6;:OUTP ON")
    start = bench.array.clock
    smu.handle(":READ?")
    assert bench.array.clock - start == pytest.approx(2 * (0.01 + 0.6 / 60))


def test_2600b_buffer_holds_the_sweep_and_printbuffer_checks_its_range(bench) -> None:
    smu = Keithley2600BEmulator(bench)
    for line in ("smua.source.output = smua.OUTPUT_ON",
                 "smua.trigger.source.linearv(0, 0.3, 4)",
                 "smua.trigger.source.action = smua.ENABLE",
                 "smua.trigger.measure.i(smua.nvbuffer1)",
                 "smua.trigger.measure.action = smua.ENABLE", "smua.trigger.count = 6",
                 "smua.trigger.initiate()"):
        assert smu.handle(line) is None
    assert smu.handle("print(smua.nvbuffer1.n)") == "6.00000e+00"
    readings = smu.handle("printbuffer(1, 6, smua.nvbuffer1.readings)").split(", ")
    assert len(readings) == 6 and float(readings[0]) == 0.0 and float(readings[4]) == 0.0
    assert smu.handle("printbuffer(1, 7, smua.nvbuffer1.readings)") is None
    assert smu.handle("print(errorqueue.count)") == "1.00000e+00"
    assert smu.handle("smua.trigger.source.listv({0, 250})") is None
    code, message, *_ = smu.handle("print(errorqueue.next())").split("\t")
    assert "index out of range" in message
    code, message, *_ = smu.handle("print(errorqueue.next())").split("\t")
    assert (float(code), message) == (1102, "Parameter too big")
