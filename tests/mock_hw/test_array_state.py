"""A simulated array's state continues exactly where it was taken, and bad input names itself."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import DeviceModel, RRAMArray
from mock_hw.errors import ModelParameterError

MODEL = DeviceModel(tiles=2, formed_at_start=True)


def _session(a: RRAMArray) -> np.ndarray:
    """Pulses, waits, noisy reads and noisy crossbar products: every random stream in use."""
    cells = np.arange(0, 2 * MODEL.cells_per_tile, 97)
    a.set_pulse(cells, 1.5, 1.0, 5e-7)
    a.advance(5.0)
    g = a.read_conductance(cells)
    a.reset_pulse(cells[::3], 1.4, 2.7, 5e-7)
    products = a.mvm(np.full((3, MODEL.rows), 0.1), tile=1)
    a.advance(1e-4)  # within the conductance cache's refresh: the cache itself is state
    return np.concatenate([g, products.ravel(), a.conductance(cells), [a.clock]])


def test_a_state_continues_exactly_in_a_fresh_array_of_the_same_seed() -> None:
    original = RRAMArray(MODEL, 11)
    _session(original)
    state = original.state()
    expected = [_session(original), _session(original)]
    resumed = RRAMArray(MODEL, 11)
    resumed.load_state(state)
    np.testing.assert_array_equal(_session(resumed), expected[0])
    np.testing.assert_array_equal(_session(resumed), expected[1])
    assert resumed.writes.sum() == original.writes.sum()


def test_a_state_is_a_copy_and_a_fresh_one_loads_as_a_fresh_array() -> None:
    a = RRAMArray(MODEL, 3)
    fresh = a.state()
    expected = _session(RRAMArray(MODEL, 3))
    _session(a)
    assert not np.array_equal(a.state()["g_prog"], fresh["g_prog"])
    a.load_state(fresh)
    np.testing.assert_array_equal(_session(a), expected)


def test_a_state_of_another_geometry_is_refused_naming_the_array() -> None:
    small = RRAMArray(DeviceModel(tiles=1), 0).state()
    with pytest.raises(ModelParameterError) as err:
        RRAMArray(MODEL, 0).load_state(small)
    text = str(err.value)
    assert "g_prog" in text and "(16384,)" in text and "(32768,)" in text


@pytest.mark.parametrize(("tile", "row", "col", "name", "bad"), [
    (2, 0, 0, "tile", 2), (-1, 0, 0, "tile", -1), (0, [0, 128], 0, "row", 128),
    (0, 0, [-4, 5], "col", -4),
])
def test_flat_index_names_the_coordinate_out_of_range(tile: object, row: object, col: object,
                                                      name: str, bad: int) -> None:
    with pytest.raises(ModelParameterError) as err:
        RRAMArray(MODEL, 0).flat_index(tile, row, col)
    assert err.value.name == name and err.value.value == bad
    limit = {"tile": MODEL.tiles, "row": MODEL.rows, "col": MODEL.cols}[name] - 1
    assert err.value.allowed == f"0 to {limit}"


def test_flat_index_is_tile_major_row_major_and_integer() -> None:
    a = RRAMArray(MODEL, 0)
    idx = a.flat_index([1, 0], [2, 127], [3.0, 0.0])
    assert idx.dtype == np.int64
    assert idx.tolist() == [MODEL.cells_per_tile + 2 * MODEL.cols + 3, 127 * MODEL.cols]
