"""Bad input: the simulated chip refuses it with an error naming the parameter and range."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from mock_hw import DeviceModel, ModelParameterError, RRAMArray


@pytest.fixture
def array() -> RRAMArray:
    return RRAMArray(DeviceModel(rows=16, cols=8, tiles=2), seed=0)


def _refused(call, name: str, allowed: str) -> None:
    with pytest.raises(ModelParameterError) as info:
        call()
    assert info.value.name == name
    assert allowed in info.value.allowed
    assert name in str(info.value) and allowed in str(info.value)


@pytest.mark.parametrize("width", [-1e-6, 0.0, 1e-9, 1.0, float("nan")])
def test_pulse_widths_outside_the_rated_range_are_refused(array, width) -> None:
    _refused(lambda: array.set_pulse([0], 1.5, 1.2, width), "width", "1e-08 s to 0.001 s")
    _refused(lambda: array.reset_pulse([0], 1.5, 3.0, width), "width", "1e-08 s to 0.001 s")


@pytest.mark.parametrize("volts", [5.01, -0.1, float("inf"), float("nan")])
def test_pulse_voltages_beyond_the_absolute_maximum_are_refused(array, volts) -> None:
    before = array.conductance()
    _refused(lambda: array.set_pulse([0], volts, 1.2, 1e-6), "v_bl", "0.0 V to 5.0 V")
    _refused(lambda: array.set_pulse([0], 1.5, volts, 1e-6), "v_gate", "0.0 V to 5.0 V")
    _refused(lambda: array.reset_pulse([0], volts, 3.0, 1e-6), "v_sl", "0.0 V to 5.0 V")
    _refused(lambda: array.form([0], volts, 1.2, 1e-6), "v_bl", "0.0 V to 5.0 V")
    np.testing.assert_array_equal(array.conductance(), before)
    assert array.clock == 0.0


def test_per_cell_voltages_are_checked_one_by_one(array) -> None:
    _refused(lambda: array.set_pulse([0, 1, 2], 1.5, [1.0, 6.0, 1.0], 1e-6), "v_gate",
             "0.0 V to 5.0 V")
    _refused(lambda: array.set_pulse([0, 1, 2], [1.5, 1.5], 1.0, 1e-6), "v_bl shape",
             "a scalar or (3,)")


@pytest.mark.parametrize("v_read", [0.0, 5.5, -5.5, float("nan")])
def test_read_voltage_must_be_nonzero_and_rated(array, v_read) -> None:
    with pytest.raises(ModelParameterError) as info:
        array.read_conductance([0], v_read)
    assert info.value.name == "v_read"


@pytest.mark.parametrize("cells", [[-1], [256], [0, 300], np.array([0.5]), [True]])
def test_cell_indices_outside_the_array_are_refused(array, cells) -> None:
    with pytest.raises(ModelParameterError) as info:
        array.set_pulse(cells, 1.5, 1.2, 1e-6)
    assert info.value.name == "cells"
    with pytest.raises(ModelParameterError):
        array.read_current(cells, 0.1)


@pytest.mark.parametrize(("name", "tile", "row", "col"), [
    ("tile", 2, 0, 0), ("row", 0, 16, 0), ("row", 0, -1, 0), ("col", 0, 0, 8),
])
def test_flat_index_outside_the_geometry_is_refused(array, name, tile, row, col) -> None:
    with pytest.raises(ModelParameterError) as info:
        array.flat_index(tile, row, col)
    assert info.value.name == name


def test_flat_index_round_trips_the_layout(array) -> None:
    idx = array.flat_index(1, [0, 15], [7, 0])
    np.testing.assert_array_equal(idx, [(1 * 16 + 0) * 8 + 7, (1 * 16 + 15) * 8 + 0])


@pytest.mark.parametrize("shape", [(15,), (17,), (3, 8), (2, 3, 16), ()])
def test_mvm_refuses_wrong_input_shapes(array, shape) -> None:
    for noise in (True, False):
        _refused(lambda noise=noise: array.mvm(np.zeros(shape), noise=noise), "v_rows shape",
                 "(16,) or (batch, 16)")


@pytest.mark.parametrize("bad", [5.5, -5.5, 5.0000001, float("nan"), float("inf")])
def test_mvm_refuses_voltages_beyond_the_absolute_maximum(array, bad) -> None:
    v = np.full((3, 16), 0.1)
    v[1, 4] = bad
    for noise in (True, False):
        _refused(lambda noise=noise: array.mvm(v, noise=noise), "v_rows", "-5.0 V to 5.0 V")


def test_mvm_accepts_the_absolute_maximum_and_empty_batches(array) -> None:
    for noise in (True, False):
        assert array.mvm(np.full((2, 16), -5.0), noise=noise).shape == (2, 8)
        assert array.mvm(np.zeros((0, 16)), noise=noise).shape == (0, 8)


@pytest.mark.parametrize("tile", [2, -1, 0.5, "0", True])
def test_bad_tile_is_refused(array, tile) -> None:
    _refused(lambda: array.mvm(np.zeros(16), tile=tile), "tile", "0 to 1")
    _refused(lambda: array.conductance_map(tile), "tile", "0 to 1")
    _refused(lambda: array.cells_of([tile]), "tile", "0 to 1")


@pytest.mark.parametrize("dt", [-1.0, float("nan"), float("inf")])
def test_time_cannot_run_backwards_or_forever(array, dt) -> None:
    _refused(lambda: array.advance(dt), "dt", "finite time >= 0 s")


@pytest.mark.parametrize("fields", [
    {"rows": 0}, {"cols": 5000}, {"tiles": 0}, {"v0": 0.0}, {"v0": -0.4},
    {"read_rel_sigma": -0.01}, {"read_rel_sigma": 0.9}, {"relax_mu_per_decade": 1e-6},
    {"stuck_lrs_fraction": 0.7, "stuck_hrs_fraction": 0.4}, {"width_min": 1e-3},
    {"reset_depth_max": 1.0}, {"alpha": 3.0}, {"no_such_field": 1.0}, {"v_abs_max": "high"},
])
def test_device_model_rejects_invalid_fields(fields) -> None:
    with pytest.raises(ValidationError):
        DeviceModel(**fields)


def test_device_model_is_immutable() -> None:
    model = DeviceModel()
    with pytest.raises(ValidationError):
        model.v0 = 0.3
