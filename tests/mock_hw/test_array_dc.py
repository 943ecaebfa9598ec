"""DC bias on the simulated array: abrupt SET and gradual RESET, consistent with the pulse
model; reads at a read voltage switch nothing however long they last."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import DeviceModel, RRAMArray
from mock_hw.array import STUCK_HRS
from mock_hw.physics import sigmoid, width_shift

CLEAN = dict(rows=32, cols=32, formed_at_start=True, stuck_lrs_fraction=0.0,
             stuck_hrs_fraction=0.0)
STEP = 10e-3


def test_one_dc_step_sets_cells_all_the_way_with_the_pulse_models_completion() -> None:
    """A step at V switches a cell to I_CC / V0 or not at all; the fraction that switches is
    the completion the pulse model gives a pulse of that width, so the mean change is its."""
    array = RRAMArray(DeviceModel(**CLEAN), seed=3)
    cells = array.cells_of()
    g0 = array.conductance(cells)
    volts = 0.8
    array.dc_sweep(cells, [volts], 1.2, STEP)
    g1 = array.conductance(cells)
    target = float(array.compliance_current(1.2)) / array.v0
    switched = g1 > 2 * g0
    assert np.all(np.abs(g1[switched] / target[switched] - 1) < 0.2 * 5)
    assert np.allclose(g1[~switched], g0[~switched], rtol=1e-3)
    m = array.model
    completion = float(sigmoid(np.array((volts + width_shift(m, STEP) - m.v_set) / m.v_set_width)))
    sigma = np.sqrt(completion * (1 - completion) / cells.size)
    assert switched.mean() == pytest.approx(completion, abs=4 * sigma)


def test_a_read_voltage_held_for_ten_seconds_switches_nothing() -> None:
    """0.2 V for 10 s is 0.35 V of width shift short of the tail cut-off (v_set - 4 widths):
    about a thousand 1-PLC readings, none of which may SET or RESET a cell."""
    array = RRAMArray(DeviceModel(**CLEAN), seed=4)
    cells = array.cells_of()
    for volts in (0.2, -0.2):
        before = array.g_prog.copy()
        array.dc_sweep(cells, [volts], 2.5, 10.0)
        np.testing.assert_array_equal(array.g_prog, before)
    assert not array.writes.any()


def test_reset_under_dc_is_gradual_and_counts_one_write_per_state_change() -> None:
    array = RRAMArray(DeviceModel(**CLEAN), seed=5)
    cells = array.cells_of()[:64]
    array.dc_sweep(cells, [1.5], 1.2, STEP)  # SET every cell (completion ~1 at 1.5 V)
    assert np.all(array.conductance(cells) > 50e-6)
    ramp = -np.linspace(0.3, 2.0, 30)
    trace = []
    for volts in ramp:
        array.dc_sweep(cells, [volts], 3.0, STEP)
        trace.append(array.conductance(cells))
    trace = np.array(trace)
    steps_down = (np.diff(trace, axis=0) < -1e-9).sum(axis=0)
    assert np.median(steps_down) >= 5  # many partial steps, not one jump
    assert np.all(trace[-1] < 20e-6)
    np.testing.assert_array_equal(array.writes[cells], 2)  # one SET, one RESET


def test_forming_happens_at_each_cells_forming_voltage_less_the_width_shift() -> None:
    array = RRAMArray(DeviceModel(**{**CLEAN, "formed_at_start": False}), seed=6)
    cells = array.cells_of()[:200]
    ramp = np.arange(2.0, 3.8, 0.02)
    g = np.array([array.dc_sweep(cells, [v], 1.0, STEP)[0] / v for v in ramp])
    formed_at = ramp[np.argmax(g > 1e-6, axis=0)]
    expected = array.v_form[cells] - width_shift(array.model, STEP)
    assert np.all(np.abs(formed_at - expected) <= 0.02 + 1e-9)
    assert array.formed[cells].all()


def test_dc_cycling_wears_a_cell_out_at_its_budget_and_freezes_it() -> None:
    """Budget of 2 cycles = 4 switching pulses: the fifth LRS/HRS crossing retires the cell,
    stuck in the state it was in before that step; later steps change nothing."""
    array = RRAMArray(DeviceModel(**CLEAN, endurance_median=2.0, endurance_sigma_ln=0.0),
                      seed=7)
    cells = array.cells_of()[:32]
    for _ in range(5):
        array.dc_sweep(cells, [1.5], 1.2, STEP)
        array.dc_sweep(cells, np.linspace(-0.5, -2.5, 21), 3.0, STEP)
    np.testing.assert_array_equal(array.writes[cells], 5)
    assert np.all(array.stuck[cells] == STUCK_HRS)  # the fifth switch was a SET from HRS
    frozen = array.conductance(cells)
    array.dc_sweep(cells, np.linspace(-0.5, -2.5, 21), 3.0, STEP)
    np.testing.assert_array_equal(array.conductance(cells), frozen)
    np.testing.assert_array_equal(array.writes[cells], 5)


def test_the_current_of_an_inert_step_is_the_relaxed_conductance_with_read_noise() -> None:
    """Steps far below any threshold only read: I / V at the end of each is the cell's
    relaxed conductance at that moment, within the read noise."""
    array = RRAMArray(DeviceModel(**CLEAN), seed=8)
    cells = array.cells_of()[:256]
    array.dc_sweep(cells, [1.5], 1.2, STEP)
    amps = array.dc_sweep(cells, [0.1] * 3, 1.2, 100.0)
    g = array.conductance(cells)  # after the last step: relaxed over 300 s
    m = array.model
    z = (amps[-1] / 0.1 - g) / (m.read_rel_sigma * g + m.read_abs_sigma)
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and z.std() == pytest.approx(1, abs=0.15)
    assert np.all(np.abs(amps[0] / 0.1 - g) > 0) and np.abs(array.clock - 300 - STEP) < 1e-9
