"""Keysight 33500B pulse trains for bursts: the arbitrary waveform written exactly, the
levels and the width checked against the setup before any byte, one trigger per burst."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError, SafetyError
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


def test_a_set_reset_train_is_one_arbitrary_waveform(pulser, wire, emulator):
    """+1.5 V then -2.5 V, 1 us each: the levels span -2.5..1.5 V, so 0 V is sample 0.25;
    each pulse is one sample followed by three idle ones, after one leading idle sample."""
    pulser.configure_train([1.5, -2.5], 1e-6)
    assert wire.sent() == [
        "SOUR1:DATA:VOL:CLE",
        "SOUR1:DATA:ARB LABCTL_TRAIN,0.25,1,0.25,0.25,0.25,-1,0.25,0.25,0.25",
        "SOUR1:FUNC ARB", "SOUR1:FUNC:ARB LABCTL_TRAIN", "SOUR1:FUNC:ARB:FILT OFF",
        "SOUR1:FUNC:ARB:SRAT 1000000", "SOUR1:VOLT:LOW -2.5", "SOUR1:VOLT:HIGH 1.5",
        "OUTP1:POL NORM", "SYST:ERR?"]
    assert pulser.arb_waveform == "LABCTL_TRAIN"
    wire.clear()
    pulser.fire_burst(1000)
    assert wire.sent() == ["SOUR1:BURS:NCYC 1000", "OUTP1 ON", "*TRG", "*OPC?", "SYST:ERR?"]
    assert emulator.pulses_fired == 2000


def test_the_burst_cycles_the_routed_cell(pulser, bench):
    """The emulator plays the waveform as SET/RESET cycles on the bit line: 2 switching
    pulses per cycle, the simulated clock advancing 9 samples per cycle."""
    start = bench.array.clock
    pulser.configure_train([1.5, -2.5], 1e-6)
    pulser.fire_burst(10_000)
    assert bench.array.writes[CELL] == 20_000
    assert bench.array.writes.sum() == 20_000
    assert bench.array.clock - start == pytest.approx(10_000 * 9e-6)


def test_a_single_pulse_after_a_train_is_one_pulse_again(pulser, wire, emulator):
    pulser.configure_train([1.5, -2.5], 1e-6)
    pulser.fire_burst(50)
    wire.clear()
    pulser.configure_pulse(1.5, 1e-6)
    assert "SOUR1:FUNC PULS" in wire.sent() and "SOUR1:BURS:NCYC 1" in wire.sent()
    fired = emulator.pulses_fired
    pulser.fire()
    assert emulator.pulses_fired == fired + 1


@pytest.mark.parametrize(("amplitudes", "width", "error"), [
    ([1.5, -3.5], 1e-6, SafetyError),   # beyond the pulse limit
    ([1.5, -2.5], 5e-9, SafetyError),   # shorter than the setup's shortest pulse
    ([1.5, -2.5], 50e-6, SafetyError),  # longer than its longest
    ([], 1e-6, ConfigError),
    ([1.5, 0.0], 1e-6, ConfigError),
    ([1.5, float("nan")], 1e-6, ConfigError),
])
def test_an_out_of_limit_train_sends_nothing(pulser, wire, amplitudes, width, error):
    with pytest.raises(error):
        pulser.configure_train(amplitudes, width)
    assert wire.sent() == []


def test_bursts_need_a_train_and_single_pulses_a_pulse(pulser, wire):
    with pytest.raises(ConfigError, match="configure_train"):
        pulser.fire_burst(10)
    pulser.configure_train([1.5, -2.5], 1e-6)
    wire.clear()
    with pytest.raises(ConfigError, match="configure_pulse"):
        pulser.fire()
    assert wire.sent() == []
