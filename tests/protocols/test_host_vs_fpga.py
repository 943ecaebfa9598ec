"""Host-driven and FPGA-offloaded write-verify give the same statistics on the same chip.

Two identically seeded simulated chips (same DeviceModel, same seed, hence the same devices)
are calibrated the same way and programmed to the same targets, one with ``mode="host"``
(the loop of ``protocols.write_verify`` through the SMU, pulse generator and FPGA drivers),
the other with ``mode="fpga"`` (the emulated firmware's loop behind one WRITE_VERIFY frame).
The two draw their noise in different orders (cell after cell on the host, all active cells
per iteration on the board) and read through different converters (SMU, board ADC), so the
comparison is statistical, not cell for cell; ``test_write_verify_spec.py`` compares the two
loops cell for cell on deterministic cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.writeverify import CellResults, Scheme
from labctl.bench import Bench
from mock_hw import SimulatedBench
from protocols.levels import LevelPlan

MakeChip = Callable[..., tuple[Bench, SimulatedBench]]
"""The ``make_chip`` fixture of conftest.py."""

N_CELLS = 96
"""Six word lines of the 8 x 16 chip, 12 cells per level."""
KS_C_ALPHA = 1.95
"""c(alpha) of the two-sample Kolmogorov-Smirnov test at alpha = 0.001 (asymptotic)."""
Z_MAX = 4.0
"""Largest accepted difference of two means in standard errors (two-sided p ~ 6e-5)."""


def ks_statistic(a: ArrayLike, b: ArrayLike) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical
    distribution functions (numpy only; scipy is not a dependency)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    x = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, x, side="right") / a.size
    cdf_b = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_critical(n: int, m: int) -> float:
    """Critical KS statistic at alpha = 0.001 for samples of n and m."""
    return KS_C_ALPHA * math.sqrt((n + m) / (n * m))


def z_score(a: ArrayLike, b: ArrayLike) -> float:
    """Difference of the means of ``a`` and ``b`` in standard errors (Welch)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) / se if se > 0 else 0.0


def program_twins(make_chip: MakeChip, plan: LevelPlan, scheme: Scheme
                  ) -> dict[str, tuple[CellResults, NDArray[np.float64], NDArray[np.float64]]]:
    """Per mode: the write records, each cell's accepted reading and true conductance minus
    its level's centre (S), on two identically seeded chips with the same targets."""
    cells = np.arange(N_CELLS)
    levels = np.random.default_rng(3).permutation(np.arange(N_CELLS) % plan.n_levels)
    lo, hi = plan.band(levels)
    out = {}
    for mode in ("host", "fpga"):
        bench, sim = make_chip()
        bench.params = replace(bench.params, scheme=scheme)
        calibration = bench.calibrate_gate(cells)
        r = bench.program(cells, lo, hi, mode=mode, calibration=calibration)  # type: ignore[arg-type]
        centre = plan.centres[levels]
        out[mode] = (r, r["g_final"] - centre, sim.array.conductance(cells) - centre)
    return out


@pytest.mark.parametrize("scheme", list(Scheme))
def test_host_and_fpga_modes_agree_statistically(make_chip: MakeChip, plan: LevelPlan,
                                                 scheme: Scheme) -> None:
    """96 cells over 8 levels (12 each), calibrated, on two identically seeded chips.

    Tolerances, and why:

    - success: both >= 95 % and within 5 points of each other. About 1 % of writes fail
      at +-2 uS (top-level cells that overshoot); the difference of two such binomial rates
      over 96 cells has a standard deviation of 1.4 points, so 5 points is 3.5 sigma.
    - mean pulses, SET pulses, RESET pulses and reversals per cell: the means differ by at
      most 4 standard errors (Welch z <= 4, two-sided p ~ 6e-5 each). Pulses per cell are
      heavy-tailed (sd ~ 7 around a mean ~ 8, capped at max_pulses), but with 96 cells the
      mean is close to normal.
    - distributions of pulses per cell, of the accepted reading and of the true conductance
      relative to the level centre: two-sample Kolmogorov-Smirnov statistic below its
      critical value at alpha = 0.001 (1.95 sqrt(2/96) = 0.28). KS is conservative for the
      discrete pulse counts, which only makes a false alarm rarer.
    - read-back error of the true conductances: both <= 2 % (expected 0).

    With these six-plus tests at p <= 0.001 each the chance of a false alarm for a seed is
    below 1 %; the seed is fixed, so the test is deterministic.
    """
    runs = program_twins(make_chip, plan, scheme)
    (host, host_read, host_true), (fpga, fpga_read, fpga_true) = runs["host"], runs["fpga"]
    assert host["success"].mean() >= 0.95 and fpga["success"].mean() >= 0.95
    assert abs(host["success"].mean() - fpga["success"].mean()) <= 0.05
    for name in ("pulses", "set_pulses", "reset_pulses", "reversals"):
        assert z_score(host[name], fpga[name]) <= Z_MAX, name
    crit = ks_critical(N_CELLS, N_CELLS)
    assert ks_statistic(host["pulses"], fpga["pulses"]) < crit
    assert ks_statistic(host_read, fpga_read) < crit
    assert ks_statistic(host_true, fpga_true) < crit
    for true in (host_true, fpga_true):
        assert np.mean(np.abs(true) > plan.spacing / 2) <= 0.02


def test_the_statistical_helpers_detect_a_difference() -> None:
    """The KS statistic and z-score are 0 for identical samples and large for shifted ones,
    so the comparison above can fail."""
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, 96)
    assert ks_statistic(a, a) == 0.0 and z_score(a, a) == 0.0
    b = a + 1.0
    assert ks_statistic(a, b) > ks_critical(96, 96) and z_score(a, b) > Z_MAX
    assert ks_statistic([0, 1, 2], [3, 4, 5]) == 1.0
