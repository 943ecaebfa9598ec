"""Task families derived from a catalog task: ``pmnist:K`` is K permuted-MNIST tasks.

Permuted MNIST (Goodfellow et al. 2013; the continual-learning benchmark of Kirkpatrick et al.
2017, and Fig. 2 of Laborieux et al. 2021 for metaplastic BNNs) applies one fixed random pixel
permutation per task to every MNIST image, train and test. Task ``pmnist-k`` (k = 1..K) uses
the permutation drawn from a generator seeded by (PERMUTATION_SEED, k): the same on every
machine and in every run, whatever the run's own seed, so runs of different seeds learn the
same tasks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from labctl.datasets.catalog import TASKS

if TYPE_CHECKING:
    import numpy as np

PERMUTED = "pmnist"
"""Name of the permuted-MNIST family; its tasks are ``pmnist-1``, ``pmnist-2``, ..."""
BASE = "mnist"
"""The catalog task every permuted task is drawn from."""
PERMUTATION_SEED = 2013
"""Seeds the permutations (with the task's number), fixed so that tasks are comparable."""
MAX_TASKS = 100
"""Most tasks one ``pmnist:K`` may ask for."""
PIXELS = 28 * 28

_MEMBER = re.compile(rf"{PERMUTED}-([1-9][0-9]*)")
_FAMILY = re.compile(rf"{PERMUTED}:(.*)")


def expand(tasks: list[str]) -> list[str]:
    """``tasks`` with each ``pmnist:K`` replaced by its K tasks; ValueError if malformed."""
    out: list[str] = []
    for task in tasks:
        family = _FAMILY.fullmatch(task)
        if family is None:
            out.append(task)
            continue
        count = family.group(1)
        if not count.isdigit() or not 1 <= int(count) <= MAX_TASKS:
            raise ValueError(f"invalid task family {task!r}: write {PERMUTED}:K with K a whole "
                             f"number from 1 to {MAX_TASKS} (K permuted-MNIST tasks)")
        out += [f"{PERMUTED}-{k}" for k in range(1, int(count) + 1)]
    return out


def permutation_of(task: str) -> np.ndarray | None:
    """The pixel permutation of a permuted-MNIST task (None for any other task)."""
    import numpy as np  # naming and checking tasks (the command line) needs no numpy

    member = _MEMBER.fullmatch(task)
    if member is None or int(member.group(1)) > MAX_TASKS:
        return None
    return np.random.default_rng([PERMUTATION_SEED, int(member.group(1))]).permutation(PIXELS)


def base_task(task: str) -> str:
    """The catalog task whose files ``task`` is made from (itself, for a catalog task)."""
    member = _MEMBER.fullmatch(task)
    return BASE if member is not None and int(member.group(1)) <= MAX_TASKS else task


def known_tasks() -> str:
    """The tasks a run may name, for messages."""
    return f"{', '.join(TASKS)}, or {PERMUTED}:K (K permuted-MNIST tasks)"
