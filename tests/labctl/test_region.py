"""Regions and target patterns of ``labctl program``."""

import numpy as np
import pytest

from drivers.errors import ConfigError
from labctl.region import Region, target_pattern


def test_region_cells_are_row_major_flat_indices_of_its_tile() -> None:
    region = Region.parse(1, "2:4", "5:8")
    cells = region.cells(rows=16, cols=16)
    assert region.shape == (2, 3)
    assert list(cells) == [(16 + r) * 16 + c for r in (2, 3) for c in (5, 6, 7)]


@pytest.mark.parametrize(("tile", "rows", "cols", "message"), [
    (0, "0:129", "0:8", "--rows ends at 129, outside the array"),
    (2, "0:8", "0:8", "--tile 2 is outside the chip"),
    (0, "8:4", "0:8", "empty or negative"),
    (0, "a:b", "0:8", "is not START:STOP"),
])
def test_bad_regions_are_refused(tile: int, rows: str, cols: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Region.parse(tile, rows, cols).check(tiles=2, rows=128, cols=128)


def test_patterns() -> None:
    rng = np.random.default_rng(0)
    board = target_pattern("checkerboard", (2, 2), 8, rng)
    assert board.tolist() == [[0, 7], [7, 0]]
    ramp = target_pattern("ramp", (1, 8), 4, rng)
    assert ramp.tolist() == [[0, 0, 1, 1, 2, 2, 3, 3]]
    rand = target_pattern("random", (64, 64), 8, rng)
    assert set(np.unique(rand)) == set(range(8))
    with pytest.raises(ConfigError, match="unknown pattern"):
        target_pattern("stripes", (2, 2), 8, rng)
