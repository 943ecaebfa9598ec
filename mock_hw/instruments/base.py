"""What every emulated instrument shares: one line in, at most one reply line out.

An emulator acts on the shared ``SimulatedBench``; calls into the bench hold ``lock``,
which the caller shares among all emulators of one bench so that instruments served on
different threads never act on the array at the same time.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from mock_hw.bench import SimulatedBench
from mock_hw.instruments.errorqueue import ErrorQueue
from mock_hw.instruments.faults import InstrumentFaults


class LineEmulator(ABC):
    """An instrument answering text lines; ``handle`` is its whole interface."""

    queue_capacity = 10

    def __init__(
        self,
        bench: SimulatedBench,
        *,
        faults: InstrumentFaults | None = None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.bench = bench
        self.faults = faults or InstrumentFaults()
        self.lock = lock or threading.RLock()
        self.errors = ErrorQueue(self.queue_capacity)
        self._lines = 0
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Return every setting to its power-on value (``*RST``), outputs off."""

    @abstractmethod
    def execute(self, line: str) -> str | None:
        """Run one received line; return the reply line, or None if nothing was queried."""

    def handle(self, line: str) -> str | None:
        """Receive one line (termination stripped); return the reply line or None."""
        with self.lock:
            self._lines += 1
            reply = self.execute(line.strip())
            every = self.faults.error_every
            if every and self._lines % every == 0:
                self.errors.push(self.faults.error_code, self.faults.error_message)
        if reply is not None and self.faults.reply_delay:
            time.sleep(self.faults.reply_delay)
        return reply
