"""The emulated 33500B's arbitrary waveforms as the guide defines them: points from -1 to +1
scaled to the levels, 8 or more, named, selected, played NCYC times on one *TRG."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import Keysight33500BEmulator


@pytest.fixture
def bench() -> SimulatedBench:
    model = DeviceModel(rows=4, cols=4, formed_at_start=True, stuck_lrs_fraction=0,
                        stuck_hrs_fraction=0)
    bench = SimulatedBench(RRAMArray(model, seed=3))
    bench.select([0, 1])
    bench.bl_route[0, :2] = Route.PULSE
    bench.gate[0, 0] = 1.3
    return bench


@pytest.fixture
def awg(bench) -> Keysight33500BEmulator:
    return Keysight33500BEmulator(bench)


def send(awg: Keysight33500BEmulator, *lines: str) -> list[str | None]:
    return [awg.handle(line) for line in lines]


ARMED = ("OUTP1:LOAD INF", "BURS:MODE TRIG", "TRIG:SOUR BUS", "BURS:STAT ON")


def test_a_waveform_is_stored_selected_and_reported(awg):
    send(awg, "DATA:ARB MyTrain,0,1,0,0,-1,0,0,0", "FUNC:ARB mytrain")
    assert send(awg, "FUNC:ARB?", "SYST:ERR?") == ['"MYTRAIN"', '+0,"No error"']


@pytest.mark.parametrize(("line", "code"), [
    ("DATA:ARB T,0,1,0", "-222"),               # fewer than 8 points
    ("DATA:ARB T,0,1.5,0,0,0,0,0,0", "-222"),   # a point beyond +1
    ("DATA:ARB 9T,0,1,0,0,0,0,0,0", "-224"),    # a name must start with a letter
    ("FUNC:ARB NOSUCH", "-224"),
    ("FUNC:ARB:SRAT 1e9", "-222"),
])
def test_bad_waveform_commands_are_refused_with_their_errors(awg, line, code):
    send(awg, line)
    assert send(awg, "SYST:ERR?")[0].startswith(code)


def test_one_trigger_plays_the_waveform_ncyc_times(awg, bench):
    """Levels 1.5 / -2.5 V: sample 0.25 is 0 V, +1 a SET pulse, -1 a RESET; at 1 MSa/s the
    8-point waveform is an 8 us cycle and 500 cycles are 1000 switching pulses per cell."""
    send(awg, *ARMED, "VOLT:LOW -2.5", "VOLT:HIGH 1.5",
         "DATA:ARB CYC,0.25,1,0.25,0.25,-1,0.25,0.25,0.25", "FUNC ARB", "FUNC:ARB CYC",
         "FUNC:ARB:SRAT 1e6", "BURS:NCYC 500", "OUTP ON")
    start = bench.array.clock
    assert send(awg, "*TRG", "*OPC?", "SYST:ERR?") == [None, "1", '+0,"No error"']
    np.testing.assert_array_equal(bench.array.writes[:2], [1000, 1000])
    assert bench.array.writes[2:].sum() == 0
    assert bench.array.clock - start == pytest.approx(500 * 8e-6)


def test_pulses_of_different_widths_are_a_settings_conflict(awg, bench):
    send(awg, *ARMED, "VOLT:LOW -2.5", "VOLT:HIGH 1.5",
         "DATA:ARB CYC,0.25,1,1,0.25,-1,0.25,0.25,0.25", "FUNC ARB", "FUNC:ARB CYC", "OUTP ON")
    send(awg, "*TRG")
    assert send(awg, "SYST:ERR?")[0].startswith("-221")
    assert bench.array.writes.sum() == 0
