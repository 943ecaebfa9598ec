"""The one factory that turns ``--backend NAME`` into the WeightStore holding the weights."""

from __future__ import annotations

from collections.abc import Callable

from drivers.errors import ConfigError
from labctl.learning.config import TrainConfig
from labctl.learning.quantizer import LevelGrid
from labctl.learning.store import SoftwareStore, WeightStore

StoreFactory = Callable[[TrainConfig, LevelGrid], WeightStore]

BACKENDS: dict[str, StoreFactory] = {
    "software": lambda config, grid: SoftwareStore(grid),
}


def make_weight_store(config: TrainConfig) -> WeightStore:
    """The WeightStore of ``config.backend`` (a ConfigError names the known backends)."""
    try:
        factory = BACKENDS[config.backend]
    except KeyError:
        raise ConfigError(
            f"unknown backend {config.backend!r}; choose from {', '.join(BACKENDS)}"
        ) from None
    return factory(config, LevelGrid(config.levels))
