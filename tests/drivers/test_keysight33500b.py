"""Keysight 33500B driver: exact SCPI transcripts, single pulses, safety before bits."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError, InstrumentError, SafetyError
from drivers.pulse import Keysight33500B
from drivers.safety import Interlock, SafetyLimits
from drivers.transport import LoopbackTransport
from mock_hw import Route
from mock_hw.instruments import Keysight33500BEmulator
from tests.drivers.conftest import CELL, Recorder

LIMITS = SafetyLimits(pulse_voltage_max=3.0, pulse_width_min=20e-9, pulse_width_max=10e-6)


@pytest.fixture
def emulator(bench):
    bench.bl_route[0, 1] = Route.PULSE
    return Keysight33500BEmulator(bench)


@pytest.fixture
def wire(emulator):
    return Recorder(emulator.handle)


@pytest.fixture
def pulser(wire):
    pulser = Keysight33500B(LoopbackTransport(wire), Interlock(LIMITS))
    wire.clear()
    return pulser


def test_connect_arms_single_pulse_on_bus_trigger(wire):
    Keysight33500B(LoopbackTransport(wire), Interlock(LIMITS))
    assert wire.sent() == ["*IDN?", "*RST", "*CLS", "SOUR1:FUNC PULS", "OUTP1:LOAD INF",
                           "SOUR1:FUNC:PULS:PER 0.001", "SOUR1:BURS:MODE TRIG",
                           "SOUR1:BURS:NCYC 1", "TRIG1:SOUR BUS", "SOUR1:BURS:STAT ON",
                           "SYST:ERR?"]


@pytest.mark.parametrize(("name", "value", "set_line", "get_line", "reply"), [
    ("function", "PULS", "SOUR1:FUNC PULS", "SOUR1:FUNC?", "PULS"),
    ("load", "INF", "OUTP1:LOAD INF", "OUTP1:LOAD?", "+9.90000000000000E+37"),
    ("high_level", 1.5, "SOUR1:VOLT:HIGH 1.5", "SOUR1:VOLT:HIGH?", "+1.50000000000000E+00"),
    ("low_level", -0.5, "SOUR1:VOLT:LOW -0.5", "SOUR1:VOLT:LOW?", "-5.00000000000000E-01"),
    ("polarity", "INV", "OUTP1:POL INV", "OUTP1:POL?", "INV"),
    ("pulse_period", 1e-3, "SOUR1:FUNC:PULS:PER 0.001", "SOUR1:FUNC:PULS:PER?",
     "+1.00000000000000E-03"),
    ("pulse_width", 5e-6, "SOUR1:FUNC:PULS:WIDT 5e-06", "SOUR1:FUNC:PULS:WIDT?",
     "+5.00000000000000E-06"),
    ("edge_time", 2e-8, "SOUR1:FUNC:PULS:TRAN 2e-08", "SOUR1:FUNC:PULS:TRAN:LEAD?",
     "+2.00000000000000E-08"),
    ("burst_enabled", True, "SOUR1:BURS:STAT ON", "SOUR1:BURS:STAT?", "1"),
    ("burst_mode", "TRIG", "SOUR1:BURS:MODE TRIG", "SOUR1:BURS:MODE?", "TRIG"),
    ("burst_cycles", 1, "SOUR1:BURS:NCYC 1", "SOUR1:BURS:NCYC?", "+1.00000000000000E+00"),
    ("trigger_source", "BUS", "TRIG1:SOUR BUS", "TRIG1:SOUR?", "BUS"),
    ("output_enabled", False, "OUTP1 OFF", "OUTP1?", "0"),
])
def test_property_transcript(pulser, wire, name, value, set_line, get_line, reply):
    setattr(pulser, name, value)
    assert getattr(pulser, name) == value
    assert wire.lines == [(set_line, None), (get_line, reply)]


def test_positive_pulse_sets_the_cell(pulser, wire, emulator, bench):
    g_before = bench.array.conductance([CELL])[0]
    pulser.configure_pulse(2.0, 1e-6, edge_time=20e-9)
    pulser.fire()
    assert wire.sent() == ["SOUR1:VOLT:LOW 0", "SOUR1:VOLT:HIGH 2", "OUTP1:POL NORM",
                           "SOUR1:FUNC:PULS:WIDT 1e-06", "SOUR1:FUNC:PULS:TRAN 2e-08",
                           "SYST:ERR?", "OUTP1 ON", "*TRG", "*OPC?", "SYST:ERR?"]
    assert emulator.pulses_fired == 1
    assert bench.array.conductance([CELL])[0] > 10 * g_before


def test_negative_pulse_idles_at_zero_with_inverted_polarity(pulser, wire, emulator):
    pulser.configure_pulse(-1.5, 1e-6)
    assert wire.sent()[:3] == ["SOUR1:VOLT:LOW -1.5", "SOUR1:VOLT:HIGH 0", "OUTP1:POL INV"]
    assert (emulator.high, emulator.low, emulator.polarity) == (0.0, -1.5, "INV")


@pytest.mark.parametrize(("amplitude", "width", "edge", "error"), [
    (3.5, 1e-6, None, SafetyError),    # beyond the setup's 3 V
    (2.0, 50e-6, None, SafetyError),   # longer than the setup's 10 us
    (2.0, 1e-6, 5e-6, ConfigError),         # edge beyond the instrument's 1 us
    (0.0, 1e-6, None, ConfigError),
])
def test_out_of_limit_pulse_sends_nothing(pulser, wire, amplitude, width, edge, error):
    with pytest.raises(error):
        pulser.configure_pulse(amplitude, width, edge)
    assert wire.lines == []


def test_fire_before_configure_sends_nothing(pulser, wire):
    with pytest.raises(ConfigError, match="configure_pulse"):
        pulser.fire()
    assert wire.lines == []


def test_ignored_trigger_raises_instrument_error(pulser, emulator):
    pulser.configure_pulse(2.0, 1e-6)
    pulser.trigger_source = "IMM"
    with pytest.raises(InstrumentError, match="Trigger ignored") as info:
        pulser.fire()
    assert info.value.code == -211
    assert emulator.pulses_fired == 0
