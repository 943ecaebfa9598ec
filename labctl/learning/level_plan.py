"""The conductance levels a network's weights are written to: N levels over the window of
DEVICE_MODEL.md, each verified within a band (the programming tolerance of write-verify)."""

from __future__ import annotations

from protocols.levels import LevelPlan

G_WINDOW = (10e-6, 120e-6)
"""Conductance window of the weight levels (S): the well-controlled range of a 1T1R cell."""
DEFAULT_TOLERANCE = 2e-6
"""Half-width of a level's verify band unless the levels are closer (S)."""


def level_plan(n_levels: int, tolerance: float | None = None) -> LevelPlan:
    """N levels over :data:`G_WINDOW`, each verified within +-``tolerance`` (S); by default
    :data:`DEFAULT_TOLERANCE`, or a quarter of the spacing when the levels are closer.
    ConfigError if the bands of neighbouring levels would touch."""
    g_min, g_max = G_WINDOW
    if tolerance is None:
        tolerance = min(DEFAULT_TOLERANCE, (g_max - g_min) / (n_levels - 1) / 4)
    return LevelPlan(g_min, g_max, n_levels, tolerance)
