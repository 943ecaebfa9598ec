"""Endurance cycling on a real Bench over a simulated chip: read points, bursts (not one
trigger per pulse), failure when no probed cycle opens the window, limits checked first."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError, SafetyError
from drivers.safety import SafetyLimits
from labctl.backends import simulated_bench
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from protocols.endurance import Checkpoint, EnduranceParams, cycle_cells


def test_read_points_grow_geometrically_and_leave_room_for_the_probes() -> None:
    points = EnduranceParams(cycles=1_000_000, reads_per_decade=10, probe_cycles=3
                             ).checkpoints()
    assert points[0] == 3 and points[-1] == 1_000_000
    assert np.all(np.diff(points) >= 3)
    assert np.sum((points > 1000) & (points <= 10_000)) == 10
    assert list(EnduranceParams(cycles=5, probe_cycles=1).checkpoints()) == [1, 2, 3, 4, 5]
    assert EnduranceParams(cycles=1000, reads_per_decade=1, probe_cycles=1
                           ).checkpoints().tolist() == [1, 10, 100, 1000]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("v_set", 0.0, "v_set"), ("width", -1e-6, "width"), ("min_window", float("nan"),
                                                          "min_window"),
    ("cycles", 2, "at least probe_cycles"), ("reads_per_decade", 0, "reads_per_decade"),
    ("probe_cycles", 0, "probe_cycles"),
])
def test_a_request_no_bench_could_run_is_refused(field, value, message) -> None:
    with pytest.raises(ConfigError, match=message):
        EnduranceParams(**{field: value}).check()


class CountingPulses:
    """Counts the pulse generator's bursts and single pulses through the emulator."""

    def __init__(self, bench) -> None:
        self.bursts: list[int] = []
        self.singles = 0
        inner = bench.pulse.inner
        fire_burst, fire = inner.fire_burst, inner.fire

        def burst(repeats: int) -> None:
            self.bursts.append(repeats)
            fire_burst(repeats)

        def single() -> None:
            self.singles += 1
            fire()

        inner.fire_burst, inner.fire = burst, single


def chip(**overrides):
    fields = {"rows": 8, "cols": 8, "formed_at_start": True, "stuck_lrs_fraction": 0.0,
              "stuck_hrs_fraction": 0.0, **overrides}
    sim = SimulatedBench(RRAMArray(DeviceModel(**fields), seed=11))
    return simulated_bench(sim), sim


def test_cells_are_cycled_in_bursts_until_they_wear_out() -> None:
    """A budget of 300 cycles (sigma 0.3): every cell fails between its read points, the
    cycles between two read points are one burst per word line, and a failed cell is read
    no more."""
    bench, sim = chip(endurance_median=300.0, endurance_sigma_ln=0.3)
    counter = CountingPulses(bench)
    cells = np.arange(16)  # rows 0 and 1
    params = EnduranceParams(cycles=100_000)
    seen: list[Checkpoint] = []
    with bench:
        cycle_cells(bench.fpga, bench.pulse, cells, 8, 8, params, seen.append)
    failed_at = {}
    for point in seen:
        for cell, window in zip(point.cells, point.window, strict=True):
            if window < params.min_window:
                failed_at[int(cell)] = int(point.cycles[-1])
        assert point.g_lrs.shape == (3, point.cells.size)
    assert sorted(failed_at) == list(range(16)), "every cell fails"
    budget = sim.array.endurance[cells]
    points = params.checkpoints()
    for cell, cycle in failed_at.items():
        before = points[np.searchsorted(points, cycle) - 1]
        assert before - 3 < budget[cell] + 1 and budget[cell] < cycle + 1, (cell, cycle)
    assert seen[-1].cycles[-1] < 100_000, "the run stops once every cell has failed"
    # per read point and row still cycling: at most one burst, and 3 probes of 2 pulses
    assert len(counter.bursts) <= 2 * len(seen) and counter.singles <= 2 * 3 * 2 * len(seen)


def test_healthy_cells_keep_their_window_and_each_cycle_is_counted() -> None:
    bench, sim = chip(endurance_median=1e9, endurance_sigma_ln=0.0)
    counter = CountingPulses(bench)
    params = EnduranceParams(cycles=20_000)
    seen: list[Checkpoint] = []
    with bench:
        cycle_cells(bench.fpga, bench.pulse, np.arange(8), 8, 8, params, seen.append)
    assert [p.cycles[-1] for p in seen] == params.checkpoints().tolist()
    # one row: every cycle is in a burst or a probe; 40,000 pulses take ~200 triggers
    assert sum(counter.bursts) + 3 * len(seen) == 20_000
    assert len(counter.bursts) + counter.singles < 40_000 / 100
    assert all(np.all(p.window >= params.min_window) for p in seen)
    np.testing.assert_array_equal(sim.array.writes[:8], 2 * 20_000)
    assert np.all(sim.array.writes[8:] == 0), "only the selected cells cycled"


def test_cycling_beyond_the_setups_limits_sends_no_pulse() -> None:
    sim = SimulatedBench(RRAMArray(DeviceModel(rows=8, cols=8, formed_at_start=True), seed=1))
    bench = simulated_bench(sim, SafetyLimits(pulse_voltage_max=2.0, bit_line_voltage_max=2.0))
    with bench, pytest.raises(SafetyError, match="v_reset"):
        cycle_cells(bench.fpga, bench.pulse, np.arange(8), 8, 8, EnduranceParams(),
                    lambda _: None)
    assert sim.array.writes.sum() == 0
