"""Packed mapping of weight pairs: no cell used twice, every weight placed, each array's
rows and columns respected, row blocks side by side, and a network too big refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ConfigError
from labctl.learning.mapping import arrays_needed, pack
from labctl.learning.model import layer_shapes


def _check(maps: dict, shapes: dict, rows: int, cols: int) -> None:
    cells = np.concatenate([m.cells for m in maps.values()])
    assert np.unique(cells).size == cells.size, "a cell holds two weights"
    for name, m in maps.items():
        assert m.positive.shape == shapes[name]
        np.testing.assert_array_equal(m.negative - m.positive, 1)
        assert (m.positive % 2 == 0).all(), "a pair straddles two columns' pairs"
        within = m.positive % (rows * cols)
        row, col = within // cols, within % cols
        assert (col + 1 < cols).all()
        n_out, n_in = shapes[name]
        np.testing.assert_array_equal(row, np.broadcast_to(np.arange(n_in) % rows, (n_out, n_in)))
        for b in m.blocks:  # a block's weights sit in its rectangle of its array
            sub = m.positive[b.outputs[0]:b.outputs[1], b.inputs[0]:b.inputs[1]]
            assert (sub // (rows * cols) == b.tile).all()
            assert (col[b.outputs[0]:b.outputs[1], b.inputs[0]:b.inputs[1]] >= b.col).all()


@given(st.lists(st.tuples(st.integers(1, 70), st.integers(1, 70)), min_size=1, max_size=4),
       st.sampled_from([(16, 16), (8, 32), (32, 8)]))
@settings(max_examples=60, deadline=None)
def test_any_network_is_placed_whole_without_overlap(dims: list[tuple[int, int]],
                                                     geometry: tuple[int, int]) -> None:
    rows, cols = geometry
    shapes = {f"fc{k}": shape for k, shape in enumerate(dims)}
    maps = pack(shapes, rows, cols)
    _check(maps, shapes, rows, cols)
    n = arrays_needed(shapes, rows, cols)
    pack(shapes, rows, cols, tiles=n)
    with pytest.raises(ConfigError, match=f"needs {n} arrays"):
        pack(shapes, rows, cols, tiles=n - 1)


def test_the_output_layer_of_the_paper_network_fits_one_array_as_four_row_blocks() -> None:
    shapes = {"fc2": (10, 512)}
    m = pack(shapes, 128, 128, tiles=1)["fc2"]
    assert [b.inputs for b in m.blocks] == [(0, 128), (128, 256), (256, 384), (384, 512)]
    assert [b.col for b in m.blocks] == [0, 20, 40, 60] and m.tiles == [0]


def test_the_paper_network_needs_177_arrays_and_a_tiny_one_fits_one() -> None:
    assert arrays_needed(layer_shapes([784, 1024, 512, 10]), 128, 128) == 177
    assert arrays_needed(layer_shapes([784, 1, 10]), 128, 128) == 1
    with pytest.raises(ConfigError, match="needs 177 arrays of 128x128 cells but the chip has "
                                          "1: use a smaller --hidden, --placement auto"):
        pack(layer_shapes([784, 1024, 512, 10]), 128, 128, tiles=1)


def test_placing_from_a_later_array_shifts_every_cell() -> None:
    shapes = {"fc0": (5, 20)}
    first = pack(shapes, 16, 16)["fc0"]
    later = pack(shapes, 16, 16, first_tile=3)["fc0"]
    np.testing.assert_array_equal(later.positive - first.positive, 3 * 16 * 16)
