"""Fault injection for the emulated instruments (``labctl mock-server`` switches)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstrumentFaults:
    """What goes wrong on purpose: slow replies and spurious error-queue entries.

    ``reply_delay`` seconds pass before every reply; every ``error_every``-th line received
    (0: never) pushes ``error_code``/``error_message`` into the error queue.
    """

    reply_delay: float = 0.0
    error_every: int = 0
    error_code: int = -330
    error_message: str = "Self-test failed"

    def __post_init__(self) -> None:
        if self.reply_delay < 0:
            raise ValueError(f"reply_delay={self.reply_delay!r} must be >= 0 s")
        if self.error_every < 0:
            raise ValueError(f"error_every={self.error_every!r} must be >= 0 (0: never)")
