"""Which cells a characterization run measures: a rectangle of one tile, or a list."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from labctl.region import Region, check_cells, parse_cells
from labctl.run_config import OptionsModel


class CellSelection(OptionsModel):
    """``--tile`` with ``--rows``/``--cols`` (a rectangle), or ``--cells ROW:COL,...``."""

    tile: int = Field(0, ge=0)
    rows: str = "0:8"
    cols: str = "0:8"
    cells: str | None = Field(None, description="ROW:COL,... on --tile, instead of a region.")

    @property
    def region(self) -> Region:
        return Region.parse(self.tile, self.rows, self.cols)

    def check_cells(self, geometry: tuple[int, int, int]) -> None:
        """Raise ConfigError unless every selected cell lies on a chip of ``geometry``."""
        if self.cells is None:
            self.region.check(*geometry)
        else:
            check_cells(parse_cells(self.tile, self.cells), *geometry)

    def flat_cells(self, rows: int, cols: int) -> NDArray[np.int64]:
        """Flat indices of the selected cells, in the order given (a region row-major)."""
        if self.cells is None:
            return self.region.cells(rows, cols)
        t, r, c = parse_cells(self.tile, self.cells).T
        return ((t * rows + r) * cols + c).astype(np.int64)
