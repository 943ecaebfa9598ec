"""Where a network's weights sit on the chip's arrays: row blocks packed side by side.

A layer of shape (out, in) holds each weight as a differential pair of neighbouring cells on
one word line (bit lines 2j, 2j+1 for output j). Its inputs go on word lines, so a layer
with more inputs than an array has rows is cut into row blocks of at most ``rows`` inputs,
and one with more outputs than an array has pairs into column blocks of at most ``cols / 2``
outputs. Each block is a rectangle of (its inputs) x (2 x its outputs) cells; blocks go into
the arrays in order, side by side along the bit lines, starting a new array only when the
next block does not fit in what is left of the current one (the 512 x 10 output layer: four
blocks of 128 x 20 cells, one array). The host adds the partial sums of a layer's blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError


@dataclass(frozen=True)
class Block:
    """One rectangle of a layer's weights on one array."""

    layer: str
    inputs: tuple[int, int]
    """Weight-matrix inputs [start, stop): word lines 0 .. stop - start of the array."""
    outputs: tuple[int, int]
    """Weight-matrix outputs [start, stop): bit-line pairs from ``col`` on."""
    tile: int
    col: int
    """First bit line (a pair's G+; G- is the next)."""


@dataclass(frozen=True)
class PairMap:
    """Where the two cells of every weight of one layer sit (flat cell indices)."""

    shape: tuple[int, int]
    positive: NDArray[np.int64]
    negative: NDArray[np.int64]
    blocks: tuple[Block, ...]

    @property
    def tiles(self) -> list[int]:
        """The arrays holding part of the layer, in order."""
        return sorted({b.tile for b in self.blocks})

    @property
    def cells(self) -> NDArray[np.int64]:
        """Every cell of the layer."""
        return np.concatenate([self.positive.ravel(), self.negative.ravel()])


def blocks_of(layer: str, shape: tuple[int, int], rows: int, cols: int
              ) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """The (layer, inputs, outputs) rectangles a layer is cut into, inputs outermost."""
    n_out, n_in = shape
    pairs = cols // 2
    return [(layer, (i, min(i + rows, n_in)), (o, min(o + pairs, n_out)))
            for i in range(0, n_in, rows) for o in range(0, n_out, pairs)]


def pack(shapes: dict[str, tuple[int, int]], rows: int, cols: int, *, tiles: int | None = None,
         first_tile: int = 0) -> dict[str, PairMap]:
    """Place every layer of ``shapes`` (name -> (out, in)) from array ``first_tile`` on.

    With ``tiles``, the arrays available from ``first_tile``: a network that needs more is a
    ConfigError saying how many it needs.
    """
    tile, col = first_tile, 0
    placed: dict[str, list[Block]] = {name: [] for name in shapes}
    for name, shape in shapes.items():
        for layer, inputs, outputs in blocks_of(name, shape, rows, cols):
            width = 2 * (outputs[1] - outputs[0])
            if col + width > cols:
                tile, col = tile + 1, 0
            placed[layer].append(Block(layer, inputs, outputs, tile, col))
            col += width
    needed = tile - first_tile + 1 if any(placed.values()) else 0
    if tiles is not None and needed > tiles:
        raise ConfigError(f"the network needs {needed} arrays of {rows}x{cols} cells but the "
                          f"chip has {tiles}: use a smaller --hidden, --placement auto, or a "
                          "setup with more arrays")
    return {name: _pair_map(shapes[name], blocks, rows, cols)
            for name, blocks in placed.items()}


def arrays_needed(shapes: dict[str, tuple[int, int]], rows: int, cols: int) -> int:
    """Arrays ``pack`` fills with ``shapes``."""
    maps = pack(shapes, rows, cols)
    return max((max(m.tiles) + 1 for m in maps.values() if m.blocks), default=0)


def _pair_map(shape: tuple[int, int], blocks: list[Block], rows: int, cols: int) -> PairMap:
    n_out, n_in = shape
    positive = np.empty((n_out, n_in), dtype=np.int64)
    for b in blocks:
        i = np.arange(*b.inputs) - b.inputs[0]
        o = np.arange(*b.outputs) - b.outputs[0]
        base = (b.tile * rows + i[None, :]) * cols + b.col + 2 * o[:, None]
        positive[b.outputs[0]:b.outputs[1], b.inputs[0]:b.inputs[1]] = base
    return PairMap(shape, positive, positive + 1, tuple(blocks))
