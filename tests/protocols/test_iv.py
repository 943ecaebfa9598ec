"""The I-V staircase and what is read off one branch: synthetic curves with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError
from protocols.iv import Branch, IVParams, IVSweep, switching, triangle

P = IVParams()


def test_triangle_goes_up_to_the_peak_once_and_back_to_zero() -> None:
    levels = triangle(1.5, 0.03)
    assert levels[0] == 0 and levels[-1] == 0 and levels.max() == 1.5
    assert (levels == 1.5).sum() == 1 and levels.size == 101
    assert np.all(np.abs(np.diff(levels)) <= 0.03 + 1e-12)


def _set_branch(v_set: float, g_off: float, i_cc: float) -> IVSweep:
    v = triangle(1.5, 0.03)
    top = int(np.argmax(v))
    on = np.arange(v.size) >= np.argmax(v >= v_set)
    i = np.where(on, np.minimum(v * 1e-4, i_cc), v * g_off)
    i[top:] = np.minimum(v[top:] * 1e-4, i_cc)
    return IVSweep(0, 1, Branch.SET, v, i)


def test_set_voltage_is_the_current_jump_and_r_off_the_read_before_it() -> None:
    found = switching(_set_branch(0.69, 2e-6, 40e-6), P)
    assert found.v_switch == pytest.approx(0.69, abs=0.03)
    assert found.r_before == pytest.approx(1 / 2e-6)


def test_a_set_branch_that_never_switches_has_no_set_voltage() -> None:
    v = triangle(1.5, 0.03)
    assert np.isnan(switching(IVSweep(0, 1, Branch.SET, v, v * 2e-6), P).v_switch)


def test_reset_voltage_is_the_current_peak_and_r_on_the_read_before_it() -> None:
    v = -triangle(2.0, 0.03)
    g = np.where(np.abs(v) < 0.7, 1e-4, 1e-6)
    g[np.argmax(np.abs(v)):] = 1e-6
    found = switching(IVSweep(0, 1, Branch.RESET, v, v * g), P)
    assert found.v_switch == pytest.approx(0.69, abs=0.03)
    assert found.r_before == pytest.approx(1e4)


@pytest.mark.parametrize(("change", "message"), [
    ({"step": 0.0}, "step must be above 0"), ({"step": -0.01}, "step must be above 0"),
    ({"step": 2.0}, "larger than v_set"), ({"cycles": 0}, "at least one cycle"),
    ({"compliance": 0.0}, "compliance"),
])
def test_bad_parameters_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IVParams(**change).check()
