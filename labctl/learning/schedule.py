"""Learning-rate schedules applied within each task (a fresh schedule starts with every task).

The hidden weights' rate opens each task with a linear warm-up while BatchNorm (per task in
the "task" scenario, so free to change) starts at the full rate: the new task's normalisation
adapts and the loss falls before the hidden weights take full steps, so the first high-loss
batches do not push the consolidated weights of earlier tasks across their thresholds at once.
Annealing the rate toward the end of a task lets the hidden weights settle instead of
hovering across level thresholds: the task converges better and level changes (device writes)
fall as the task ends.
"""

from __future__ import annotations

import functools
import math

import torch
from torch.optim.lr_scheduler import LambdaLR

from labctl.learning.options import LrSchedule


def lr_factor(schedule: LrSchedule, step: int, total_steps: int, warmup: float = 0.0) -> float:
    """Multiplier of the base rate at ``step`` (0-based) of a task of ``total_steps`` steps.

    The first ``warmup`` fraction of the steps rises linearly to the full rate; the schedule
    covers the rest.
    """
    rise = int(warmup * total_steps)
    if step < rise:
        return (step + 1) / rise
    if schedule is LrSchedule.CONSTANT or total_steps - rise <= 1:
        return 1.0
    progress = min(step - rise, total_steps - rise) / (total_steps - rise)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def task_scheduler(
    optimizer: torch.optim.Optimizer, schedule: LrSchedule, total_steps: int, warmup: float,
    start: int = 0,
) -> LambdaLR:
    """A scheduler to step once after every optimizer step of a task, standing at step
    ``start`` (a resumed task) with the optimizer's rates set for it.

    Parameter groups marked ``metaplastic`` (hidden weights) warm up; the others do not.
    """
    factors = [
        functools.partial(lr_factor, schedule, total_steps=total_steps,
                          warmup=warmup if group.get("metaplastic", True) else 0.0)
        for group in optimizer.param_groups
    ]
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
    return LambdaLR(optimizer, factors, last_epoch=start - 1)
