"""When the simulated array evaluates its cells' present conductance: the caching rules, kept
apart from the physics (``mock_hw.physics``) and the state (``mock_hw.array``).

Relaxation makes every cell's conductance a function of the clock, so evaluating it for the
whole array at every read would dominate a simulation. The cache holds one whole-array map,
refreshed once the clock has moved by a small fraction of the relaxation time; a stale map
serves large selections after a refresh, while a few cells (a write-verify loop) are
evaluated on their own. Cells whose state an operation rewrote are patched in place, and a
version number, bumped at every change, tells the per-tile crossbar maps when to rebuild.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Selection = slice | NDArray[np.int64]

RELAX_REFRESH = 1e-3
"""The map is re-evaluated once the clock moves by this fraction of the relaxation time t0
(error < 0.05 % of a decade), so back-to-back reads and MVMs reuse one map."""
FEW_CELLS_FRACTION = 64
"""Selections smaller than 1/64 of the array skip a stale whole-array map."""


class ConductanceCache:
    """The whole-array conductance map and the crossbar maps derived from it.

    ``relaxed(sel)`` evaluates the physics for a selection now; ``clock()`` is the array's
    simulated time.
    """

    def __init__(self, n_cells: int, relax_t0: float,
                 relaxed: Callable[[Selection], FloatArray], clock: Callable[[], float]) -> None:
        self.n_cells = n_cells
        self.refresh = RELAX_REFRESH * relax_t0
        self._relaxed = relaxed
        self._clock = clock
        self._map: FloatArray | None = None
        self._map_clock = -np.inf
        self.version = 0
        """Bumped whenever any cell's conductance may have changed."""
        self._tiles: dict[int, tuple[int, NDArray[np.floating]]] = {}

    def stale(self) -> bool:
        """Whether the whole-array map is missing or older than its refresh."""
        return self._map is None or self._clock() - self._map_clock > self.refresh

    def get(self, sel: Selection) -> FloatArray:
        """Conductance of ``sel`` now, from the whole-array map while it is fresh."""
        stale = self.stale()
        if stale and not isinstance(sel, slice) and sel.size * FEW_CELLS_FRACTION < self.n_cells:
            return self._relaxed(sel)
        if stale:
            self._map = self._relaxed(slice(None))
            self._map_clock = self._clock()
            self.version += 1
        assert self._map is not None
        return self._map[sel]

    def renewed(self, cells: NDArray[np.int64], g: FloatArray) -> None:
        """``cells`` now hold ``g`` (their relaxation restarted, or was just evaluated)."""
        if self._map is not None:
            self._map[cells] = g

    def changed(self) -> None:
        """Some cell's state changed: maps derived from the conductances must be rebuilt."""
        self.version += 1

    def tile_maps(self, tile: int, build: Callable[[], NDArray[np.floating]]
                  ) -> NDArray[np.floating]:
        """The crossbar maps of ``tile``, rebuilt by ``build`` after any change or refresh."""
        held = self._tiles.get(tile)
        if held is None or held[0] != self.version or self.stale():
            built = build()  # may refresh the whole-array map, and so the version
            held = self._tiles[tile] = (self.version, built)
        return held[1]

    def reevaluate(self, cells: NDArray[np.int64]) -> None:
        """``cells``' state was rewritten in place: evaluate them again in the map."""
        if self._map is not None:
            self._map[cells] = self._relaxed(cells)

    def snapshot(self) -> tuple[float, FloatArray]:
        """When the map was taken and the map (NaN if none), for a checkpoint: reads after a
        reload must use the same map to stay bit-identical."""
        return self._map_clock, (np.full(self.n_cells, np.nan) if self._map is None
                                 else self._map.copy())

    def restore(self, taken: float, g: NDArray[np.generic]) -> None:
        """Continue with the map :meth:`snapshot` saved; the crossbar maps are rebuilt."""
        self._map_clock = float(taken)
        self._map = None if np.isneginf(self._map_clock) else np.array(g, dtype=np.float64)
        self._tiles = {}
        self.version += 1
