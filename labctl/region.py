"""A rectangular region of one tile, parsed from the command line and checked against the chip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError


@dataclass(frozen=True)
class Region:
    """Rows [row_start, row_stop) x columns [col_start, col_stop) of one tile."""

    tile: int
    row_start: int
    row_stop: int
    col_start: int
    col_stop: int

    @classmethod
    def parse(cls, tile: int, rows: str, cols: str) -> Region:
        """Build from ``START:STOP`` strings (Python slice convention, STOP exclusive)."""
        r0, r1 = _span("--rows", rows)
        c0, c1 = _span("--cols", cols)
        return cls(tile, r0, r1, c0, c1)

    @property
    def size(self) -> int:
        """Number of cells."""
        return (self.row_stop - self.row_start) * (self.col_stop - self.col_start)

    def check(self, tiles: int, rows: int, cols: int) -> None:
        """Raise ConfigError unless the region lies inside a chip of this geometry."""
        if not 0 <= self.tile < tiles:
            raise ConfigError(f"--tile {self.tile} is outside the chip: it has tiles 0-{tiles - 1}")
        for flag, stop, size in (("--rows", self.row_stop, rows), ("--cols", self.col_stop, cols)):
            if stop > size:
                raise ConfigError(f"{flag} ends at {stop}, outside the array: it has {size} "
                                  f"({flag} 0:{size} covers all)")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.row_stop - self.row_start, self.col_stop - self.col_start)

    def cells(self, rows: int, cols: int) -> NDArray[np.int64]:
        """Flat cell indices of the region, row-major, on a chip of ``rows`` x ``cols`` tiles."""
        r, c = np.meshgrid(np.arange(self.row_start, self.row_stop),
                           np.arange(self.col_start, self.col_stop), indexing="ij")
        return ((self.tile * rows + r) * cols + c).ravel().astype(np.int64)


def coordinates(cells: NDArray[np.integer], rows: int, cols: int
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(tile, row, col) of flat cell indices on a chip of ``rows`` x ``cols`` tiles."""
    tile, rest = np.divmod(np.asarray(cells, dtype=np.int64), rows * cols)
    row, col = np.divmod(rest, cols)
    return tile, row, col


def _span(flag: str, text: str) -> tuple[int, int]:
    try:
        start, stop = (int(x) for x in text.split(":"))
    except ValueError:
        raise ConfigError(f"{flag} {text!r} is not START:STOP (e.g. {flag} 0:128)") from None
    if not 0 <= start < stop:
        raise ConfigError(f"{flag} {text!r} is empty or negative: need 0 <= START < STOP")
    return start, stop


PATTERNS = ("random", "checkerboard", "ramp")


def target_pattern(pattern: str, shape: tuple[int, int], n_levels: int,
                   rng: np.random.Generator) -> NDArray[np.int64]:
    """Level of every cell of a region: uniform random, checkerboard of extremes, or column ramp."""
    rows, cols = shape
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    if pattern == "random":
        return rng.integers(0, n_levels, size=shape)
    if pattern == "checkerboard":
        return ((r + c) % 2) * (n_levels - 1)
    if pattern == "ramp":
        return c * n_levels // cols
    raise ConfigError(f"unknown pattern {pattern!r}: use one of {', '.join(PATTERNS)}")


def parse_cells(tile: int, text: str) -> NDArray[np.int64]:
    """``"ROW:COL,ROW:COL,..."`` on ``tile`` as (tile, row, col) triples, shape (n, 3)."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        row, sep, col = item.partition(":")
        try:
            if not sep:
                raise ValueError
            pairs.append((tile, int(row), int(col)))
        except ValueError:
            raise ConfigError(f"--cells: {item!r} is not ROW:COL (e.g. --cells 0:0,5:17)"
                              ) from None
    if len(set(pairs)) != len(pairs):
        raise ConfigError("--cells names a cell twice: list each cell once")
    return np.array(pairs, dtype=np.int64).reshape(-1, 3)


def check_cells(cells: NDArray[np.int64], tiles: int, rows: int, cols: int) -> None:
    """Raise ConfigError unless every (tile, row, col) lies on a chip of this geometry."""
    for (tile, row, col) in cells.tolist():
        if not (0 <= tile < tiles and 0 <= row < rows and 0 <= col < cols):
            raise ConfigError(f"--cells {row}:{col} on tile {tile} is outside the chip "
                              f"({tiles} tile(s) of {rows} x {cols})")
