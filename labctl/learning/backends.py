"""The one factory that turns ``--backend NAME`` into the WeightStore holding the weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from drivers.errors import ConfigError
from labctl.backends import MOCK_TILE, open_bench
from labctl.bench import Bench
from labctl.device_model import device_overrides
from labctl.learning.chip_store import ChipStore
from labctl.learning.config import TrainConfig
from labctl.learning.hybrid_store import HybridStore
from labctl.learning.level_plan import level_plan
from labctl.learning.mapping import arrays_needed
from labctl.learning.model import layer_shapes
from labctl.learning.placement import on_chip
from labctl.learning.quantizer import LevelGrid
from labctl.learning.store import SoftwareStore, WeightStore
from labctl.run_config import SEED_MAX
from labctl.setup import Setup, load_setup
from mock_hw.params import MAX_TILES
from mock_hw.presets import PRESETS
from protocols.levels import LevelPlan

StoreFactory = Callable[[TrainConfig, LevelGrid, bool], WeightStore]
"""``(config, grid, prepare)``: ``prepare`` as for ChipStore."""


def mock_tiles(config: TrainConfig) -> int:
    """Simulated arrays the network's differential pairs occupy."""
    return simulated_arrays(layer_shapes(config.sizes), config.hidden)


def simulated_arrays(shapes: dict[str, tuple[int, int]], hidden: list[int]) -> int:
    """Simulated arrays ``shapes`` occupy: at most MAX_TILES, else a ConfigError naming the
    ``hidden`` widths (counted from the cells first, so that a huge network is not packed)."""
    rows, cols = MOCK_TILE
    bound = -(-2 * sum(o * i for o, i in shapes.values()) // (rows * cols))
    needed = arrays_needed(shapes, rows, cols) if bound <= MAX_TILES else bound
    if needed > MAX_TILES:
        raise ConfigError(f"--hidden {','.join(map(str, hidden))} needs "
                          f"{'' if bound <= MAX_TILES else 'at least '}{needed} arrays of "
                          f"{rows} x {cols} cells, and a simulated chip holds at most "
                          f"{MAX_TILES}: use a smaller --hidden")
    return needed


def _chip_store(config: TrainConfig, bench_for: Callable[[int], Bench], prepare: bool
                ) -> WeightStore:
    return _chip_store_on(bench_for(mock_tiles(config)),
                          level_plan(config.levels, config.tolerance),
                          layer_shapes(config.sizes), prepare)


TWIN_SEED = 1 << 20
"""Offset of the twin's seed from the run's: its devices are drawn apart from the chip's."""


def _hybrid_store(config: TrainConfig, prepare: bool) -> WeightStore:
    """The layers ``config.placement`` names on the bench's chip (on the mock, a simulated
    chip of the setup's size, one array without a setup), the rest on the digital twin."""
    shapes = layer_shapes(config.sizes)
    setup = load_setup(config.setup) if config.setup else None
    if config.backend == "chip":
        bench = open_bench("chip", _setup_path(config), config.seed)
    else:
        bench = open_bench("mock", None, config.seed, tiles=setup.chip.tiles if setup else 1,
                           formed=True, device=config.device)
    plan = level_plan(config.levels, config.tolerance)
    try:
        tiles, rows, cols = bench.geometry
        placed = on_chip(config.placement or "auto", shapes, rows, cols, tiles)
        chip = (ChipStore(bench, plan, {name: shapes[name] for name in placed}, prepare=prepare)
                if placed else None)
    except BaseException:
        bench.close()
        raise
    if chip is None:
        bench.close()
    rest = {name: shape for name, shape in shapes.items() if name not in placed}
    model = _twin_model(config, setup)
    try:
        twin = _chip_store_on(open_bench(
            "mock", None, (config.seed + TWIN_SEED) % (SEED_MAX + 1),
            tiles=simulated_arrays(rest, config.hidden),
            formed=True, device=device_overrides(model, None)), plan, rest, prepare
        ) if rest else None
    except BaseException:
        if chip is not None:
            chip.close()
        raise
    return HybridStore(chip, twin, model)


def _chip_store_on(bench: Bench, plan: LevelPlan, shapes: dict[str, tuple[int, int]],
                   prepare: bool) -> ChipStore:
    """A ChipStore of ``shapes`` on ``bench``, the bench closed if that fails."""
    try:
        return ChipStore(bench, plan, shapes, prepare=prepare)
    except BaseException:
        bench.close()
        raise


def _twin_model(config: TrainConfig, setup: Setup | None) -> str:
    """``--twin-model``, else the setup's ``[twin] device_model`` (a file relative to the
    setup's folder), else the typical preset."""
    if config.twin_model:
        return config.twin_model
    if setup is None or config.setup is None:
        return "typical"
    spec = setup.twin.device_model
    if spec in PRESETS or Path(spec).is_absolute():
        return spec
    return str(Path(config.setup).parent / spec)


BACKENDS: dict[str, StoreFactory] = {
    "software": lambda config, grid, prepare: SoftwareStore(grid),
    "mock": lambda config, grid, prepare: _hybrid_store(config, prepare) if config.placement
    else _chip_store(config, lambda tiles: open_bench("mock", None, config.seed, tiles=tiles,
                                                      formed=True, device=config.device),
                     prepare),
    "chip": lambda config, grid, prepare: _hybrid_store(config, prepare),
}


def _setup_path(config: TrainConfig) -> Path:
    if config.setup is None:
        raise ConfigError("--backend chip needs --setup FILE naming the bench's instruments "
                          "(e.g. data/setups/mock-server.toml for labctl mock-server)")
    return Path(config.setup)


def make_weight_store(config: TrainConfig, *, prepare: bool = True) -> WeightStore:
    """The WeightStore of ``config.backend`` (a ConfigError names the known backends);
    ``prepare`` as for ChipStore."""
    try:
        factory = BACKENDS[config.backend]
    except KeyError:
        raise ConfigError(
            f"unknown backend {config.backend!r}; choose from {', '.join(BACKENDS)}"
        ) from None
    return factory(config, LevelGrid(config.levels), prepare)
