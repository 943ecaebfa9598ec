"""Connect cells to the pulse generator through the FPGA's switch matrix, safely."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from drivers.fpga.client import FpgaLink


def by_row(cells: NDArray[np.int64], rows: int, cols: int
           ) -> Iterator[tuple[int, int, NDArray[np.int64]]]:
    """Group flat cell indices by (tile, row), yielding (tile, row, columns)."""
    tile_row, col = np.divmod(np.asarray(cells, dtype=np.int64), cols)
    order = np.argsort(tile_row, kind="stable")
    keys, starts = np.unique(tile_row[order], return_index=True)
    for key, part in zip(keys, np.split(order, starts[1:]), strict=True):
        tile, row = divmod(int(key), rows)
        yield tile, row, col[part]


def connect_for_pulse(fpga: FpgaLink, tile: int, cells: NDArray[np.int64],
                      rows: NDArray[np.int64], cols: NDArray[np.int64], gates: NDArray[np.float64],
                      *, reset: bool) -> None:
    """Select ``cells`` and route their lines so the next pulse SETs (or RESETs) exactly them.

    ``rows`` and ``cols`` are the distinct lines of the cells, ``gates`` one voltage per row.
    SET drives the bit lines with the source lines grounded; RESET the reverse. The gates are
    set last, so no cell conducts while the routing changes.
    """
    fpga.select(cells)
    bl, sl = ("ground", "pulse") if reset else ("pulse", "ground")
    fpga.route(tile, bit_lines=cols, source_lines=[], to=bl)
    fpga.route(tile, bit_lines=[], source_lines=rows, to=sl)
    fpga.set_gate(tile, rows, gates)


def disconnect(fpga: FpgaLink, tile: int, rows: NDArray[np.int64]) -> None:
    """Turn the rows' gates off after a pulse."""
    fpga.set_gate(tile, rows, np.zeros(len(rows)))
