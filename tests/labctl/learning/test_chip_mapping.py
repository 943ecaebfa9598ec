"""Placement of weight pairs on tiles: every weight gets two neighbouring cells of its own."""

import numpy as np

from labctl.learning.chip_store import map_layer, tiles_for


def test_layer_pairs_are_distinct_adjacent_and_fill_whole_tiles() -> None:
    rows = cols = 16
    shape = (20, 40)  # 20 outputs (8 pairs per tile -> 3 column blocks), 40 inputs (3 row blocks)
    m = map_layer(shape, first_tile=2, rows=rows, cols=cols)
    assert tiles_for(shape, rows, cols) == 9 and m.tiles == range(2, 11)
    cells = np.concatenate([m.positive.ravel(), m.negative.ravel()])
    assert np.unique(cells).size == cells.size
    np.testing.assert_array_equal(m.negative - m.positive, 1)
    assert (m.positive % 2 == 0).all()
    tile = cells // (rows * cols)
    assert tile.min() == 2 and tile.max() == 10
    row = (m.positive // cols) % rows
    np.testing.assert_array_equal(row, np.broadcast_to(np.arange(40) % rows, shape))
