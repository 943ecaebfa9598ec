"""The named choices of a training run's rule and schedule.

They live apart from the torch code that implements them so that the configuration and the
command line can name them without importing torch.
"""

from __future__ import annotations

from enum import StrEnum


class MetaVariant(StrEnum):
    """Which distance the meta-function measures."""

    INTERVAL = "interval"
    """Distance to the nearest level-change threshold (unbounded in the outer intervals)."""
    GLOBAL = "global"
    """|W_h|, attenuating steps that shrink |W_h| (the binary rule applied to N levels)."""
    LOWER = "lower"
    """Distance above the lower level of the interval between neighbouring levels, attenuating
    steps that move down toward it; below the lowest level, distance below it, attenuating
    steps that move up."""


class LrSchedule(StrEnum):
    """How the learning rate evolves over the steps of one task after the warm-up."""

    CONSTANT = "constant"
    """The configured rate throughout (the reference protocol)."""
    COSINE = "cosine"
    """Half a cosine from the configured rate down to zero at the task's last step."""
