"""Retention: read programmed cells again and again, at log-spaced times after programming."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError


@dataclass(frozen=True)
class RetentionSchedule:
    """``reads`` read-backs from ``first`` to ``duration`` seconds after programming,
    log-spaced, as retention measurements are."""

    duration: float
    reads: int = 20
    first: float = 1.0

    def check(self) -> None:
        """Raise ConfigError for a schedule that cannot be followed."""
        if self.reads < 2:
            raise ConfigError(f"--reads {self.reads}: at least two read-backs")
        if not 0 < self.first < self.duration:
            raise ConfigError(f"the first read-back at {self.first:g} s must come before the "
                              f"end, --duration {self.duration:g} s")

    def times(self) -> NDArray[np.float64]:
        """Seconds after programming at which to read, first to duration."""
        return np.geomspace(self.first, self.duration, self.reads)


def follow(schedule: RetentionSchedule, elapsed: Callable[[], float],
           wait: Callable[[float], None], read: Callable[[], NDArray[np.float64]],
           on_read: Callable[[int, float, NDArray[np.float64]], None], start: int = 0) -> None:
    """Wait for each read-back time in turn (from the ``start``-th), read, and hand on
    (index, seconds after programming, conductances). ``elapsed`` is the bench time since
    programming; a read-back already overdue is taken at once, at the time it really is."""
    for index, due in enumerate(schedule.times()[start:], start):
        late = due - elapsed()
        if late > 0:
            wait(late)
        at = elapsed()
        on_read(index, at, read())
