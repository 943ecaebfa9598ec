"""The caching rules of the simulated array, on a stand-in for the physics that counts how
often it is evaluated: a fresh map is reused, a stale one refreshed for large selections and
bypassed for a few cells, patches and changes reach the crossbar maps."""

from __future__ import annotations

import numpy as np

from mock_hw.conductance_cache import FEW_CELLS_FRACTION, ConductanceCache

N = 1024


class Physics:
    """G = 1 + t for every cell, counting the cells evaluated."""

    def __init__(self) -> None:
        self.t = 0.0
        self.evaluated = 0

    def relaxed(self, sel: slice | np.ndarray) -> np.ndarray:
        cells = np.arange(N)[sel]
        self.evaluated += cells.size
        return np.full(cells.size, 1.0 + self.t)


def make() -> tuple[Physics, ConductanceCache]:
    physics = Physics()
    return physics, ConductanceCache(N, relax_t0=1.0, relaxed=physics.relaxed,
                                     clock=lambda: physics.t)


def test_a_fresh_map_is_reused_until_the_clock_moves_past_its_refresh() -> None:
    physics, cache = make()
    assert cache.get(slice(None))[0] == 1.0 and physics.evaluated == N
    physics.t = 0.5 * cache.refresh
    assert cache.get(np.arange(10))[0] == 1.0 and physics.evaluated == N  # stale by < refresh
    physics.t = 2 * cache.refresh
    assert cache.get(slice(None))[0] == 1.0 + physics.t and physics.evaluated == 2 * N


def test_a_few_cells_of_a_stale_map_are_evaluated_alone() -> None:
    physics, cache = make()
    cache.get(slice(None))
    physics.t = 1.0
    few = np.arange(N // FEW_CELLS_FRACTION - 1)
    assert np.all(cache.get(few) == 2.0) and physics.evaluated == N + few.size
    assert cache.stale()  # the map itself was left as it was
    many = np.arange(N // FEW_CELLS_FRACTION)
    cache.get(many)
    assert physics.evaluated == N + few.size + N and not cache.stale()


def test_patches_show_at_once_and_changes_rebuild_the_crossbar_maps() -> None:
    _, cache = make()
    cache.get(slice(None))
    cache.renewed(np.array([3]), np.array([7.0]))
    assert cache.get(np.array([3]))[0] == 7.0
    builds = []

    def build() -> np.ndarray:
        builds.append(cache.get(slice(None)).copy())
        return builds[-1]

    first = cache.tile_maps(0, build)
    assert cache.tile_maps(0, build) is first and len(builds) == 1
    cache.changed()
    cache.tile_maps(0, build)
    assert len(builds) == 2
    taken, g = cache.snapshot()
    other = make()[1]
    other.restore(taken, g)
    assert other.get(np.array([3]))[0] == 7.0
