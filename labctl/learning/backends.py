"""The one factory that turns ``--backend NAME`` into the WeightStore holding the weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from drivers.errors import ConfigError
from labctl.backends import MOCK_TILE, open_bench
from labctl.bench import Bench
from labctl.learning.chip_store import ChipStore, level_plan, tiles_for
from labctl.learning.config import TrainConfig
from labctl.learning.model import layer_shapes
from labctl.learning.quantizer import LevelGrid
from labctl.learning.store import SoftwareStore, WeightStore

StoreFactory = Callable[[TrainConfig, LevelGrid], WeightStore]


def mock_tiles(config: TrainConfig) -> int:
    """Simulated arrays the network's differential pairs occupy."""
    rows, cols = MOCK_TILE
    return sum(tiles_for(shape, rows, cols) for shape in layer_shapes(config.sizes).values())


def _chip_store(config: TrainConfig, bench_for: Callable[[int], Bench]) -> WeightStore:
    bench = bench_for(mock_tiles(config))
    try:
        return ChipStore(bench, level_plan(config.levels), layer_shapes(config.sizes))
    except BaseException:
        bench.close()
        raise


BACKENDS: dict[str, StoreFactory] = {
    "software": lambda config, grid: SoftwareStore(grid),
    "mock": lambda config, grid: _chip_store(
        config, lambda tiles: open_bench("mock", None, config.seed, tiles=tiles, formed=True,
                                         device=config.device)),
    "chip": lambda config, grid: _chip_store(
        config, lambda _: open_bench("chip", _setup_path(config), config.seed)),
}


def _setup_path(config: TrainConfig) -> Path:
    if config.setup is None:
        raise ConfigError("--backend chip needs --setup FILE naming the bench's instruments "
                          "(e.g. data/setups/mock-server.toml for labctl mock-server)")
    return Path(config.setup)


def make_weight_store(config: TrainConfig) -> WeightStore:
    """The WeightStore of ``config.backend`` (a ConfigError names the known backends)."""
    try:
        factory = BACKENDS[config.backend]
    except KeyError:
        raise ConfigError(
            f"unknown backend {config.backend!r}; choose from {', '.join(BACKENDS)}"
        ) from None
    return factory(config, LevelGrid(config.levels))
