"""What the simulated array refuses: every argument outside its range is one error naming the
argument, the offending value and what is allowed; the limits themselves are accepted."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mock_hw.array import RRAMArray
from mock_hw.errors import ModelParameterError
from mock_hw.params import DeviceModel


@pytest.fixture(scope="module")
def array() -> RRAMArray:
    return RRAMArray(DeviceModel(tiles=2), seed=0)


def refused(call: object, message: str) -> None:
    with pytest.raises(ModelParameterError, match=f"^{re.escape(message)}$"):
        call()  # type: ignore[operator]


def test_bad_cell_indices_name_the_index_that_is_out_of_range(array: RRAMArray) -> None:
    last = array.n_cells - 1
    refused(lambda: array.read_conductance([3, array.n_cells, 5]),
            f"cells={array.n_cells} is invalid: allowed 0 to {last}")
    refused(lambda: array.read_conductance([0, -2, array.n_cells + 9]),
            f"cells=-2 is invalid: allowed 0 to {last}")
    refused(lambda: array.read_conductance([0, array.n_cells + 1]),
            f"cells={array.n_cells + 1} is invalid: allowed 0 to {last}")
    refused(lambda: array.read_conductance(np.array([1.0, 2.0])),
            "cells='float64' is invalid: allowed integer flat cell indices")


def test_coordinates_that_do_not_broadcast_are_named_with_their_shapes(
        array: RRAMArray) -> None:
    refused(lambda: array.flat_index([0, 1], [0, 1, 2], 0),
            "tile/row/col shapes=((2,), (3,), ()) is invalid: allowed shapes that broadcast "
            "together")


def test_voltages_name_the_first_bad_value_and_the_window(array: RRAMArray) -> None:
    vmax = array.model.v_abs_max
    cells = np.arange(3)
    refused(lambda: array.set_pulse(cells, [1.0, vmax + 0.5, 9.0], 1.0, 1e-6),
            f"v_bl={vmax + 0.5} is invalid: allowed 0.0 V to {vmax} V")
    refused(lambda: array.reset_pulse(cells, 1.0, [1.0, -0.1, 1.0], 1e-6),
            f"v_gate=-0.1 is invalid: allowed 0.0 V to {vmax} V")
    refused(lambda: array.reset_pulse(cells, [0.0, 9.0, 1.0], 1.0, 1e-6),
            f"v_sl=9.0 is invalid: allowed 0.0 V to {vmax} V")  # 0 V is a limit, not the fault
    refused(lambda: array.reset_pulse(cells, [vmax, -1.0, 1.0], 1.0, 1e-6),
            f"v_sl=-1.0 is invalid: allowed 0.0 V to {vmax} V")
    refused(lambda: array.set_pulse(cells, [1.0, 1.0], 1.0, 1e-6),
            "v_bl shape=(2,) is invalid: allowed a scalar or (3,)")


def test_the_voltage_and_width_limits_themselves_are_accepted(array: RRAMArray) -> None:
    m = array.model
    cells = np.arange(2)
    array.reset_pulse(cells, m.v_abs_max, m.v_abs_max, m.width_min)
    array.set_pulse(cells, 0.0, 0.0, m.width_max)
    array.read_current(cells, -m.v_abs_max)
    refused(lambda: array.set_pulse(cells, 1.0, 1.0, m.width_min * 0.999),
            f"width={m.width_min * 0.999} is invalid: allowed {m.width_min} s to {m.width_max} s")
    refused(lambda: array.set_pulse(cells, 1.0, 1.0, m.width_max * 1.001),
            f"width={m.width_max * 1.001} is invalid: allowed {m.width_min} s to {m.width_max} s")


def test_time_reads_tiles_and_mvm_inputs_name_what_is_wrong(array: RRAMArray) -> None:
    vmax = array.model.v_abs_max
    refused(lambda: array.advance(-1.0), "dt=-1.0 is invalid: allowed a finite time >= 0 s")
    refused(lambda: array.read_current([0], 0.0),
            f"v_read=0.0 is invalid: allowed non-zero, -{vmax} V to {vmax} V")
    refused(lambda: array.mvm(np.zeros(array.model.rows), tile=2),
            "tile=2 is invalid: allowed an integer from 0 to 1")
    refused(lambda: array.mvm(np.zeros(5)),
            f"v_rows shape=(5,) is invalid: allowed ({array.model.rows},) or "
            f"(batch, {array.model.rows})")
