"""Read disturb on a real Bench over a simulated chip: reads at a read voltage leave the
cells as the controls (the model's non-disturbing read), hours of DC bias SET them, and the
stress is checked against the setup before anything reaches the chip."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError, SafetyError
from drivers.safety import SafetyLimits
from labctl.backends import simulated_bench
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from protocols.disturb import DC_STEP_MAX, DisturbParams, stress_cells

STRESSED, CONTROL = np.arange(0, 16, 2), np.arange(1, 16, 2)


def chip(limits: SafetyLimits | None = None):
    model = DeviceModel(rows=4, cols=8, formed_at_start=True, stuck_lrs_fraction=0.0,
                        stuck_hrs_fraction=0.0)
    sim = SimulatedBench(RRAMArray(model, seed=5))
    bench = simulated_bench(sim, limits) if limits else simulated_bench(sim)
    cells = np.arange(16)
    sim.array.set_pulse(cells, 1.5, 1.0, 1e-6)  # about 60 uS, mid-window
    return bench, sim, cells


def run(bench, cells, params):
    points: list[tuple[int, float, np.ndarray]] = []
    with bench:
        stress_cells(bench.fpga, bench.smu, cells[STRESSED], 4, 8, params,
                     lambda: bench.read(cells), lambda *p: points.append(p))
    return points


def test_the_schedule_is_geometric_in_stress() -> None:
    reads = DisturbParams(amount=1e5, first=1, points=6).schedule()
    np.testing.assert_array_equal(reads, [1, 10, 100, 1000, 10_000, 100_000])
    dc = DisturbParams(stress="dc", amount=3600.0, first=3.6, points=4).schedule()
    np.testing.assert_allclose(dc, [3.6, 36, 360, 3600])


@pytest.mark.parametrize(("params", "message"), [
    (DisturbParams(amount=0), "amount"), (DisturbParams(first=10, amount=5), "before the end"),
    (DisturbParams(amount=10.5), "whole numbers"), (DisturbParams(points=0), "points"),
    (DisturbParams(stress="heat"), "reads' or 'dc'"),  # type: ignore[arg-type]
    (DisturbParams(v_stress=float("inf")), "v_stress"),
])
def test_a_stress_no_bench_could_apply_is_refused(params, message) -> None:
    with pytest.raises(ConfigError, match=message):
        params.check()


def test_reads_at_a_read_voltage_do_not_disturb() -> None:
    """10,000 board reads of the stressed half: each stressed cell read that many times
    (its wear unchanged), and the stressed cells move as the controls do."""
    bench, sim, cells = chip()
    reads = []
    read_cells = bench.fpga.read_cells
    bench.fpga.read_cells = lambda c, v: (reads.append((len(c), v)), read_cells(c, v))[1]
    points = run(bench, cells, DisturbParams(amount=10_000, points=5))
    stressed_reads = [n for n, v in reads if v == 0.2 and n == STRESSED.size]
    assert len(stressed_reads) >= 10_000 and [p[1] for p in points] == [0, 1, 10, 100, 1000,
                                                                        10_000]
    change = points[-1][2] - points[0][2]
    assert abs(change[STRESSED].mean() - change[CONTROL].mean()) < 1e-6
    assert np.all(sim.array.writes[cells] == 1)


def test_hours_of_dc_bias_at_a_raised_read_voltage_set_the_stressed_cells() -> None:
    """0.6 V held for a day: the voltage-time law brings the SET threshold down to it, the
    stressed cells jump toward the read gate's compliance, the controls do not; every bias
    step is within DC_STEP_MAX."""
    bench, _, cells = chip()
    delays = []
    sweep = bench.smu.inner.sweep_voltage

    def watched(levels, compliance, *, delay, nplc):  # type: ignore[no-untyped-def]
        delays.append((len(levels), delay))
        return sweep(levels, compliance, delay=delay, nplc=nplc)

    bench.smu.inner.sweep_voltage = watched
    points = run(bench, cells, DisturbParams(stress="dc", amount=86_400.0, first=86.4,
                                             points=4, v_stress=0.6))
    change = points[-1][2] - points[0][2]
    assert change[STRESSED].mean() > 50e-6 > 5e-6 > abs(change[CONTROL].mean())
    assert max(d for _, d in delays) <= DC_STEP_MAX
    held = sum(n * d for n, d in delays)
    assert held == pytest.approx(2 * 86_400.0)  # two rows of stressed cells, one at a time


def test_a_stress_beyond_the_setups_limits_touches_nothing() -> None:
    bench, sim, cells = chip(SafetyLimits(smu_voltage_max=0.5))
    before = sim.array.conductance()
    with pytest.raises(SafetyError, match="v_stress"):
        run(bench, cells, DisturbParams(stress="dc", amount=10.0, v_stress=0.6))
    np.testing.assert_array_equal(sim.array.conductance(), before)
