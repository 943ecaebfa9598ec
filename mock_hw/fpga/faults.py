"""Fault injection on the emulated serial line: dropped, corrupted and late frames.

``FaultyLine`` wraps a byte handler (the firmware's ``handle`` or one of its streams) and,
with the probabilities of a ``FaultInjection`` drawn from its own seeded generator, drops
or bit-flips what goes in (requests) and what comes out (replies), or delays replies.
A delayed reply either sleeps (``realtime``, for the TCP server) or is held back and
delivered in front of the next reply, as a late answer arriving after the host timed out.
Faults apply to each chunk the handler gets, i.e. to whole frames on a loopback port. The
time of arrival of a chunk, if given, is passed on to the handler (the partial-frame timeout
of SPEC.md section 1 is measured on it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from mock_hw.errors import ModelParameterError


class ByteHandler(Protocol):
    """Takes received bytes and their time of arrival (None: now); returns bytes to send."""

    def __call__(self, data: bytes, now: float | None = None) -> bytes: ...


@dataclass(frozen=True)
class FaultInjection:
    """Probabilities (0..1) of each fault per frame, the delay (s) and the seed."""

    drop_request: float = 0.0
    drop_reply: float = 0.0
    corrupt_request: float = 0.0
    corrupt_reply: float = 0.0
    delay_reply: float = 0.0
    delay: float = 0.05
    bit_flips: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop_request", "drop_reply", "corrupt_request", "corrupt_reply",
                     "delay_reply"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ModelParameterError(name, getattr(self, name), "0 to 1")
        if self.delay < 0 or self.bit_flips < 1:
            raise ModelParameterError("delay/bit_flips", (self.delay, self.bit_flips),
                                      "delay >= 0 s and at least one bit flip")


@dataclass
class FaultCounts:
    """How many faults were injected so far."""

    dropped_requests: int = 0
    dropped_replies: int = 0
    corrupted_requests: int = 0
    corrupted_replies: int = 0
    delayed_replies: int = 0


@dataclass
class FaultyLine:
    """A byte handler with faults injected on both directions."""

    handler: ByteHandler
    faults: FaultInjection
    realtime: bool = False
    counts: FaultCounts = field(default_factory=FaultCounts)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.faults.seed)
        self._late = b""

    def _flip(self, data: bytes) -> bytes:
        buf = bytearray(data)
        for bit in self._rng.choice(8 * len(buf), size=min(self.faults.bit_flips, 8 * len(buf)),
                                    replace=False):
            buf[bit // 8] ^= 1 << (bit % 8)
        return bytes(buf)

    def __call__(self, data: bytes, now: float | None = None) -> bytes:
        f, rng, n = self.faults, self._rng, self.counts
        if data and rng.random() < f.drop_request:
            n.dropped_requests += 1
            return self._release(b"")
        if data and rng.random() < f.corrupt_request:
            n.corrupted_requests += 1
            data = self._flip(data)
        reply = self.handler(data, now)
        if reply and rng.random() < f.drop_reply:
            n.dropped_replies += 1
            return self._release(b"")
        if reply and rng.random() < f.corrupt_reply:
            n.corrupted_replies += 1
            reply = self._flip(reply)
        if reply and rng.random() < f.delay_reply:
            n.delayed_replies += 1
            if self.realtime:
                time.sleep(f.delay)
            else:
                self._late += reply
                return b""
        return self._release(reply)

    def _release(self, reply: bytes) -> bytes:
        out, self._late = self._late + reply, b""
        return out
