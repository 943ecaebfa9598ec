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
