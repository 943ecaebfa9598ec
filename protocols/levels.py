"""Multi-level planning: N target conductances over a window, each with a tolerance band."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.errors import ConfigError


@dataclass(frozen=True)
class LevelPlan:
    """N levels spread uniformly in conductance over [g_min, g_max], each centre +- tolerance."""

    g_min: float
    g_max: float
    n_levels: int
    tolerance: float

    def __post_init__(self) -> None:
        if self.n_levels < 2:
            raise ConfigError(f"--levels {self.n_levels}: at least 2 levels are needed")
        if not 0 < self.g_min < self.g_max:
            raise ConfigError(f"conductance window {self.g_min:g}-{self.g_max:g} S is empty: "
                              "give 0 < g_min < g_max")
        if self.tolerance <= 0:
            raise ConfigError(f"tolerance {self.tolerance:g} S must be positive")
        if 2 * self.tolerance >= self.spacing:
            most = int((self.g_max - self.g_min) / (2 * self.tolerance)) + 1
            raise ConfigError(
                f"{self.n_levels} levels over {self.g_min * 1e6:g}-{self.g_max * 1e6:g} uS are "
                f"{self.spacing * 1e6:.3g} uS apart, too close for a +-{self.tolerance * 1e6:g} uS "
                f"band: use at most {most} levels or a smaller --tolerance"
            )

    @property
    def spacing(self) -> float:
        """Distance between neighbouring level centres (S)."""
        return (self.g_max - self.g_min) / (self.n_levels - 1)

    @property
    def centres(self) -> NDArray[np.float64]:
        """Target conductance of each level (S)."""
        return np.linspace(self.g_min, self.g_max, self.n_levels)

    def band(self, levels: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper accepted conductance (S) for each entry of ``levels``."""
        c = self.centres[np.asarray(levels, dtype=np.int64)]
        return c - self.tolerance, c + self.tolerance

    def nearest(self, g: ArrayLike) -> NDArray[np.int64]:
        """The level whose centre is nearest to each conductance in ``g``."""
        x = (np.asarray(g, dtype=np.float64) - self.g_min) / self.spacing
        return np.clip(np.rint(x), 0, self.n_levels - 1).astype(np.int64)

    def readback_error(self, g: ArrayLike, levels: ArrayLike) -> float:
        """Fraction of cells whose conductance lies nearer to another level's centre."""
        levels = np.asarray(levels, dtype=np.int64)
        if levels.size == 0:
            return 0.0
        return float(np.mean(self.nearest(g) != levels))
