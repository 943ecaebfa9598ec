"""An instrument's error queue: bounded FIFO that ends in a queue-overflow entry when full."""

from __future__ import annotations

from collections import deque


class InstrumentCommandError(Exception):
    """Raised inside an emulator to put ``code, message`` into its error queue."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}, {message}")
        self.code = code
        self.message = message


class ErrorQueue:
    """FIFO of (code, message); when full, the newest entry becomes -350 "Queue overflow"."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: deque[tuple[int, str]] = deque()

    def push(self, code: int, message: str) -> int | None:
        """Append an entry; return the code stored (-350 as the last place fills), None if
        the queue was already full and the entry is lost."""
        if len(self._entries) < self.capacity - 1:
            self._entries.append((code, message))
            return code
        if len(self._entries) == self.capacity - 1:
            self._entries.append((-350, "Queue overflow"))
            return -350
        return None

    def pop(self) -> tuple[int, str] | None:
        return self._entries.popleft() if self._entries else None

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
