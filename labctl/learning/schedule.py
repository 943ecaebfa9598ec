"""Learning-rate schedules applied within each task (a fresh schedule starts with every task).

Annealing the rate toward the end of a task lets the hidden weights settle instead of
hovering across level thresholds: the task converges better and level changes (device writes)
fall as the task ends.
"""

from __future__ import annotations

import math
from enum import StrEnum

import torch
from torch.optim.lr_scheduler import LambdaLR


class LrSchedule(StrEnum):
    """How the learning rate evolves over the steps of one task."""

    CONSTANT = "constant"
    """The configured rate throughout (the reference protocol)."""
    COSINE = "cosine"
    """Half a cosine from the configured rate down to zero at the task's last step."""


def lr_factor(schedule: LrSchedule, step: int, total_steps: int) -> float:
    """Multiplier of the base rate at ``step`` (0-based) of a task of ``total_steps`` steps."""
    if schedule is LrSchedule.CONSTANT or total_steps <= 1:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))


def task_scheduler(
    optimizer: torch.optim.Optimizer, schedule: LrSchedule, total_steps: int
) -> LambdaLR:
    """A scheduler to step once after every optimizer step of a task."""
    return LambdaLR(optimizer, lambda step: lr_factor(schedule, step, total_steps))
