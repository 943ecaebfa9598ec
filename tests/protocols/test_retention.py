"""The retention schedule: log-spaced, followed on any clock, late read-backs taken at once."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError
from protocols.retention import RetentionSchedule, follow


def test_read_backs_wait_for_their_time_and_an_overdue_one_is_taken_at_once() -> None:
    clock = [0.0]
    taken: list[tuple[int, float]] = []
    schedule = RetentionSchedule(duration=1000.0, reads=4, first=1.0)

    def read() -> np.ndarray:
        clock[0] += 50.0 if not taken else 0.0  # the first read-back is slow: the next is late
        return np.zeros(1)

    follow(schedule, lambda: clock[0], lambda s: clock.__setitem__(0, clock[0] + s), read,
           lambda index, at, _: taken.append((index, at)))
    assert [i for i, _ in taken] == [0, 1, 2, 3]
    assert taken[0][1] == pytest.approx(1.0)
    assert taken[1][1] == pytest.approx(51.0)  # due at 10 s, taken when the bench got to it
    assert taken[2][1] == pytest.approx(100.0) and taken[3][1] == pytest.approx(1000.0)


@pytest.mark.parametrize(("schedule", "message"), [
    (RetentionSchedule(10.0, reads=1), "--reads"),
    (RetentionSchedule(10.0, first=10.0), "must come before the end"),
])
def test_a_schedule_that_cannot_be_followed_is_refused(schedule, message) -> None:
    with pytest.raises(ConfigError, match=message):
        schedule.check()
