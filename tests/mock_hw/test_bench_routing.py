"""The simulated switch matrix: pulses and SMU reads reach only what the routing connects."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import DeviceModel, ModelParameterError, Route, RRAMArray, SimulatedBench

ROWS = COLS = 8


@pytest.fixture
def bench() -> SimulatedBench:
    model = DeviceModel(rows=ROWS, cols=COLS, formed_at_start=True, stuck_lrs_fraction=0.0,
                        stuck_hrs_fraction=0.0)
    return SimulatedBench(RRAMArray(model, seed=11))


def _cell(bench: SimulatedBench, row: int, col: int) -> int:
    return int(bench.array.flat_index(0, row, col)[0])


def test_pulse_on_a_bit_line_sets_only_selected_gated_cells(bench) -> None:
    target, ungated, unselected = _cell(bench, 1, 3), _cell(bench, 2, 3), _cell(bench, 4, 3)
    bench.select([target, ungated])
    bench.bl_route[0, 3] = Route.PULSE
    bench.gate[0, [1, 4]] = 1.4  # row 2 gate off; row 4 gated but not selected
    before = bench.array.conductance()
    bench.apply_pulse(2.0, 1e-6)
    after = bench.array.conductance()
    assert after[target] > 10 * before[target]
    changed = np.flatnonzero(after != before)
    np.testing.assert_array_equal(changed, [target])
    assert after[ungated] == before[ungated] and after[unselected] == before[unselected]


def test_pulse_on_a_source_line_resets(bench) -> None:
    cells = [_cell(bench, 5, c) for c in range(COLS)]
    bench.array.set_pulse(None, 2.0, 1.6, 1e-6)
    before = bench.array.conductance()
    bench.select(cells)
    bench.sl_route[0, 5] = Route.PULSE
    bench.gate[0, 5] = 3.0
    bench.apply_pulse(2.5, 1e-6)
    after = bench.array.conductance()
    assert np.all(after[cells] < 0.7 * before[cells])
    np.testing.assert_array_equal(np.flatnonzero(after != before), cells)


def test_negative_pulse_on_a_bit_line_resets(bench) -> None:
    cell = _cell(bench, 0, 0)
    bench.array.set_pulse([cell], 2.0, 1.6, 1e-6)
    before = bench.array.conductance([cell])
    bench.select([cell])
    bench.bl_route[0, 0] = Route.PULSE
    bench.gate[0, 0] = 3.0
    bench.apply_pulse(-2.5, 1e-6)
    assert bench.array.conductance([cell]) < 0.7 * before


def test_a_floating_or_shorted_cell_sees_no_pulse(bench) -> None:
    cell = _cell(bench, 3, 3)
    bench.select([cell])
    bench.gate[0, 3] = 1.4
    bench.bl_route[0, 3] = Route.PULSE
    bench.sl_route[0, 3] = Route.FLOAT
    before = bench.array.conductance()
    bench.apply_pulse(2.0, 1e-6)
    np.testing.assert_array_equal(bench.array.conductance(), before)
    assert bench.array.clock == pytest.approx(1e-6)


def test_smu_measures_only_routed_selected_gated_cells(bench) -> None:
    array = bench.array
    array.set_pulse(None, 2.0, np.linspace(0.9, 1.8, array.n_cells), 1e-6)
    g = array.conductance().reshape(ROWS, COLS)
    bench.select(array.cells_of())
    bench.gate[0, [2, 6]] = 2.0
    bench.bl_route[0, 4] = Route.SMU
    current = bench.measure_current(0.1)
    expected = 0.1 * (g[2, 4] + g[6, 4])
    sigma = 0.1 * np.hypot(array.read_sigma(g[2, 4]), array.read_sigma(g[6, 4]))
    assert current == pytest.approx(expected, abs=5 * sigma)
    # Unselected cells and ungated rows do not contribute.
    bench.select([_cell(bench, 2, 4)])
    assert bench.measure_current(0.1) == pytest.approx(0.1 * g[2, 4], abs=5 * sigma)
    bench.gate[0, :] = 0.0
    assert bench.measure_current(0.1) == 0.0


def test_smu_current_is_limited_by_the_transistor(bench) -> None:
    array = bench.array
    cell = _cell(bench, 1, 1)
    array.set_pulse([cell], 2.0, 2.0, 1e-6)
    bench.select([cell])
    bench.bl_route[0, 1] = Route.SMU
    bench.gate[0, 1] = 0.6  # barely above threshold: compliance well below G * 1 V
    assert bench.measure_current(1.0) == pytest.approx(float(array.compliance_current(0.6)))


def test_one_pulse_reaching_bit_and_source_lines_takes_one_pulse_width(bench) -> None:
    set_cell, reset_cell = _cell(bench, 0, 2), _cell(bench, 3, 5)
    bench.array.set_pulse([reset_cell], 2.0, 1.6, 1e-6)
    bench.select([set_cell, reset_cell])
    bench.gate[0, [0, 3]] = 3.0
    bench.bl_route[0, 2] = Route.PULSE
    bench.sl_route[0, 3] = Route.PULSE
    start = bench.array.conductance()
    bench.apply_pulse(2.0, 1e-6)
    after = bench.array.conductance()
    assert after[set_cell] > start[set_cell]
    assert after[reset_cell] < start[reset_cell]
    assert bench.array.clock == pytest.approx(2e-6)


def test_safe_state_disconnects_everything(bench) -> None:
    bench.select(bench.array.cells_of())
    bench.bl_route[:] = Route.PULSE
    bench.gate[:] = 2.0
    bench.safe_state()
    before = bench.array.conductance()
    bench.apply_pulse(2.0, 1e-6)
    np.testing.assert_array_equal(bench.array.conductance(), before)
    assert bench.measure_current(0.1) == 0.0
    assert not bench.selected.any()


@pytest.mark.parametrize("cells", [[-1], [ROWS * COLS]])
def test_selecting_cells_outside_the_array_is_refused(bench, cells) -> None:
    with pytest.raises(ModelParameterError) as info:
        bench.select(cells)
    assert info.value.name == "cells" and info.value.value == cells[0]
