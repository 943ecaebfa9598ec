"""Connect cells to the pulse generator or the SMU through the FPGA's switch matrix, safely."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from drivers.fpga.client import FpgaLink


def by_row(cells: NDArray[np.int64], rows: int, cols: int
           ) -> Iterator[tuple[int, int, NDArray[np.int64]]]:
    """Group flat cell indices by (tile, row), yielding (tile, row, columns)."""
    tile_row, col = np.divmod(np.asarray(cells, dtype=np.int64), cols)
    if not tile_row.size:
        return
    order = np.argsort(tile_row, kind="stable")
    keys, starts = np.unique(tile_row[order], return_index=True)
    for key, part in zip(keys, np.split(order, starts[1:]), strict=True):
        tile, row = divmod(int(key), rows)
        yield tile, row, col[part]


def connect_row(fpga: FpgaLink, tile: int, row: int, cols: NDArray[np.int64], gate: float,
                *, reset: bool, source: str = "pulse") -> None:
    """Route one word line's cells so that the next pulse (or the SMU's bias, with
    ``source="smu"``) SETs (or RESETs) exactly them.

    In a 1T1R array every cell whose gate is on and whose bit line and source line carry a
    voltage difference switches, so one row is addressed at a time: SET drives the cells' bit
    lines with the row's source line grounded and every other bit line grounded; RESET drives
    the row's source line with the cells' bit lines grounded and every other bit line
    floating, so that the rest of the row sees no current path. The gate is turned on last.
    """
    ident = fpga.identity
    fpga.select((tile * ident.rows + row) * ident.cols + np.asarray(cols))
    _route_row(fpga, tile, row, cols, gate, reset=reset, source=source)


def reconnect_row(fpga: FpgaLink, tile: int, row: int, cols: NDArray[np.int64], gate: float,
                  *, reset: bool, source: str = "pulse") -> None:
    """``connect_row`` for the same cells, already selected and connected: the gate off, the
    lines routed for ``reset`` (either polarity) and the gate on at ``gate`` again."""
    fpga.set_gate(tile, [row], [0.0])
    _route_row(fpga, tile, row, cols, gate, reset=reset, source=source)


def _route_row(fpga: FpgaLink, tile: int, row: int, cols: NDArray[np.int64], gate: float,
               *, reset: bool, source: str) -> None:
    others = np.setdiff1d(np.arange(fpga.identity.cols), cols)
    fpga.route(tile, bit_lines=others, source_lines=[], to="float" if reset else "ground")
    fpga.route(tile, bit_lines=cols, source_lines=[], to="ground" if reset else source)
    fpga.route(tile, bit_lines=[], source_lines=[row], to=source if reset else "ground")
    fpga.set_gate(tile, [row], [gate])


def disconnect_row(fpga: FpgaLink, tile: int, row: int) -> None:
    """Gate off first, then every bit line and the row's source line back to ground."""
    fpga.set_gate(tile, [row], [0.0])
    fpga.route(tile, bit_lines=np.arange(fpga.identity.cols), source_lines=[row], to="ground")
