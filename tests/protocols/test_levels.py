"""Level planning: uniform centres, bands, and the read-back error the lab reports."""

import numpy as np
import pytest

from drivers.errors import ConfigError
from protocols.levels import LevelPlan


def test_eight_levels_are_uniform_over_the_window_with_bands() -> None:
    plan = LevelPlan(10e-6, 120e-6, 8, 2e-6)
    np.testing.assert_allclose(np.diff(plan.centres), 110e-6 / 7)
    lo, hi = plan.band([0, 7])
    np.testing.assert_allclose(lo, [8e-6, 118e-6])
    np.testing.assert_allclose(hi, [12e-6, 122e-6])


def test_readback_error_counts_cells_nearer_another_centre() -> None:
    plan = LevelPlan(10e-6, 120e-6, 8, 2e-6)
    half = plan.spacing / 2
    g = plan.centres[[0, 1, 2, 3]] + np.array([0.0, 0.9 * half, 1.1 * half, -1.1 * half])
    assert plan.readback_error(g, [0, 1, 2, 3]) == pytest.approx(0.5)
    assert list(plan.nearest([-1.0, 1.0])) == [0, 7]


@pytest.mark.parametrize(("levels", "tolerance", "message"), [
    (1, 2e-6, "at least 2 levels"),
    (40, 2e-6, "use at most 28 levels"),
    (8, 0.0, "must be positive"),
])
def test_impossible_plans_name_the_fix(levels: int, tolerance: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LevelPlan(10e-6, 120e-6, levels, tolerance)


def test_the_plan_is_refused_exactly_at_its_edges() -> None:
    assert LevelPlan(10e-6, 20e-6, 2, 2e-6).n_levels == 2
    for g_min, g_max in ((0.0, 20e-6), (20e-6, 20e-6)):
        with pytest.raises(ConfigError, match="give 0 < g_min < g_max"):
            LevelPlan(g_min, g_max, 4, 1e-6)
    spacing = 30e-6 / 3
    assert LevelPlan(10e-6, 40e-6, 4, spacing / 2 * 0.999).tolerance < spacing / 2
    with pytest.raises(ConfigError) as err:
        LevelPlan(10e-6, 40e-6, 4, spacing / 2)
    assert "4 levels over 10-40 uS are 10 uS apart, too close for a +-5 uS band" in str(err.value)


def test_nearest_levels_and_read_back_error_of_edge_cases() -> None:
    plan = LevelPlan(10e-6, 40e-6, 4, 2e-6)
    nearest = plan.nearest([-1.0, 24.9e-6, 25.1e-6, 1.0])
    assert nearest.dtype == np.int64 and nearest.tolist() == [0, 1, 2, 3]
    assert plan.readback_error([], []) == 0.0
    assert plan.readback_error([20e-6], [1]) == 0.0
    assert plan.readback_error([20e-6], [2]) == 1.0
