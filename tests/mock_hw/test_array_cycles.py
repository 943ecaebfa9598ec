"""SET/RESET cycling in one block (an endurance burst) against the same cycles pulse by pulse:
the same distribution of states, the same wear and clock, and wear-out on the right pulse."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import RRAMArray
from mock_hw.array import STUCK_HRS, STUCK_LRS, STUCK_NONE
from mock_hw.errors import ModelParameterError

V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD = 1.5, 2.5, 1.3, 2.5, 1e-6, 9e-6


def cycle_one_by_one(array: RRAMArray, count: int) -> None:
    for _ in range(count):
        start = array.clock
        array.set_pulse(None, V_SET, GATE_SET, WIDTH)
        array.reset_pulse(None, V_RESET, GATE_RESET, WIDTH)
        array.clock = start + PERIOD


@pytest.mark.parametrize("v_set", [V_SET, 1.05])
def test_a_block_of_cycles_leaves_the_states_pulse_by_pulse_cycling_leaves(make_array, v_set
                                                                            ) -> None:
    """Final G_HRS and, after one more SET, G_LRS agree in mean and spread over 4096 cells,
    for a SET that completes at once and for one that needs several cycles to forget."""
    block, explicit = make_array(seed=1), make_array(seed=2)
    count = 200
    block.cycle_pulses(None, v_set, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, count)
    for _ in range(count):
        start = explicit.clock
        explicit.set_pulse(None, v_set, GATE_SET, WIDTH)
        explicit.reset_pulse(None, V_RESET, GATE_RESET, WIDTH)
        explicit.clock = start + PERIOD
    assert block.clock == pytest.approx(explicit.clock) == pytest.approx(count * PERIOD)
    np.testing.assert_array_equal(block.writes, explicit.writes)
    assert np.all(block.writes == 2 * count)
    for _ in range(2):
        g_b, g_e = block.conductance(), explicit.conductance()
        assert np.mean(g_b) == pytest.approx(np.mean(g_e), rel=0.03)
        assert np.std(g_b) == pytest.approx(np.std(g_e), rel=0.06)
        for array in (block, explicit):
            array.set_pulse(None, v_set, GATE_SET, WIDTH)


def test_a_block_is_not_a_single_cycle(make_array) -> None:
    """The states after a block depend on the block's last cycles only: the same seed gives
    the same states for 100 and for 10,000 cycles, and the wear tells them apart."""
    short, long = make_array(seed=5), make_array(seed=5)
    short.cycle_pulses(None, V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, 100)
    long.cycle_pulses(None, V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, 10_000)
    assert np.all(long.writes == 20_000) and np.all(short.writes == 200)
    assert long.clock == pytest.approx(10_000 * PERIOD)


@pytest.mark.parametrize("budget", [10.0, 10.5])
def test_cells_wear_out_on_the_pulse_that_exhausts_their_budget(make_array, budget) -> None:
    """A budget of 10 cycles is 20 switching pulses: the 21st, a SET, finds the cell just
    reset and freezes it there; a budget of 10.5 cycles ends on the 22nd, a RESET, which finds
    it set: stuck in LRS. A block freezes the cells in the states pulse-by-pulse cycling
    does, and spends the same wear."""
    kw = {"rows": 32, "cols": 32, "endurance_median": budget, "endurance_sigma_ln": 0.0}
    block, explicit = make_array(seed=3, **kw), make_array(seed=4, **kw)
    block.cycle_pulses(None, V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, 1000)
    cycle_one_by_one(explicit, 30)
    assert np.all(block.stuck != STUCK_NONE) and np.all(explicit.stuck != STUCK_NONE)
    np.testing.assert_array_equal(block.writes, explicit.writes)
    lrs_b, lrs_e = (np.mean(a.stuck == STUCK_LRS) for a in (block, explicit))
    if budget == 10.5:
        assert lrs_b == lrs_e == 1.0
    else:  # a RESET pulse removes a random part of G: some cells are frozen below the
        # LRS/HRS boundary, most above it
        assert 0.5 < lrs_e < 0.95 and lrs_b == pytest.approx(lrs_e, abs=0.05)
        assert np.any(block.stuck == STUCK_HRS)
    g_b, g_e = block.conductance(), explicit.conductance()
    assert np.mean(g_b) == pytest.approx(np.mean(g_e), rel=0.05)
    assert np.std(g_b) == pytest.approx(np.std(g_e), rel=0.1)


def test_stuck_and_ungated_cells_take_no_wear(make_array) -> None:
    array = make_array(rows=8, cols=8, stuck_lrs_fraction=0.5)
    stuck = array.stuck != STUCK_NONE
    array.cycle_pulses(None, V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, 1000)
    assert np.all(array.writes[stuck] == 0) and np.all(array.writes[~stuck] == 2000)
    off = make_array(rows=8, cols=8)
    before = off.conductance()
    off.cycle_pulses(None, V_SET, V_RESET, 0.0, 0.0, WIDTH, PERIOD, 1000)
    np.testing.assert_array_equal(off.conductance(), before)
    assert np.all(off.writes == 0)


def test_pristine_cells_form_in_a_block_as_on_its_first_pulse(make_array) -> None:
    array = make_array(rows=8, cols=8, formed_at_start=False, v_form_median=1.4,
                       v_form_sigma=0.0)
    array.cycle_pulses(None, V_SET, V_RESET, GATE_SET, GATE_RESET, WIDTH, PERIOD, 500)
    assert array.formed.all() and np.all(array.writes == 1000)


@pytest.mark.parametrize(("args", "name"), [
    ({"period": 1.5e-6}, "period"), ({"count": -1}, "count"), ({"count": 2.5}, "count"),
    ({"v_set": 6.0}, "v_set, v_reset"), ({"width": 1.0}, "width"),
])
def test_impossible_bursts_are_refused(make_array, args, name) -> None:
    call = {"cells": None, "v_set": V_SET, "v_reset": V_RESET, "gate_set": GATE_SET,
            "gate_reset": GATE_RESET, "width": WIDTH, "period": PERIOD, "count": 10} | args
    array = make_array(rows=4, cols=4)
    with pytest.raises(ModelParameterError, match=name):
        array.cycle_pulses(**call)
    assert np.all(array.writes == 0) and array.clock == 0.0
