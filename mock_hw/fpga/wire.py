"""The firmware's side of the link framing, implemented from drivers/fpga/SPEC.md alone.

``FrameParser`` takes the byte stream as it arrives (any chunking) together with the time
of arrival, skips garbage, and yields ``Request`` items: complete requests, damaged ones
(frame CRC failed), oversized ones (length beyond ``max_payload``: answered at once, the
rest discarded unread) and cut-off ones (the line fell silent inside a frame). Every item
but garbage carries a header that checked, so the firmware knows whom to answer.
``reply_frame`` builds ACK/NAK frames.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from enum import Enum

START = 0xA5
PROTOCOL = 2
REQUEST, ACK, NAK = 0x01, 0x02, 0x03
FRAME_TIMEOUT = 0.1
"""Silence (s) inside a frame after which the partial frame is dropped (SPEC.md section 1)."""
_HEAD = struct.Struct("<BBBBHI")
_HEAD_LEN = _HEAD.size + 2
_CRC_LEN = 2


def crc_ccitt_false(data: bytes | bytearray) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, unreflected); b'123456789' -> 0x29B1."""
    return binascii.crc_hqx(data, 0xFFFF)


class Status(Enum):
    """What became of a frame whose header checked."""

    INTACT = "intact"
    """Complete, frame CRC good."""
    DAMAGED = "damaged"
    """Complete, frame CRC bad."""
    OVERSIZED = "oversized"
    """``length`` beyond ``max_payload``: reported at once, payload discarded unread."""
    CUT = "cut"
    """The line fell silent before the frame was complete; the partial frame was dropped."""


@dataclass(frozen=True)
class Header:
    """The fields of a header whose CRC checked."""

    version: int
    kind: int
    command: int
    seq: int
    length: int


@dataclass(frozen=True)
class Request:
    """One received frame; OVERSIZED and CUT items carry no payload (``b''``, ``crc`` 0)."""

    version: int
    kind: int
    command: int
    seq: int
    payload: bytes
    crc: int
    status: Status

    @classmethod
    def without_body(cls, head: Header, status: Status) -> Request:
        """The item for a frame whose body was not received (oversized or cut off)."""
        return cls(head.version, head.kind, head.command, head.seq, b"", 0, status)


def _header_at(data: bytearray, pos: int) -> Header | None:
    """The header at ``pos`` (12 bytes must be there) if its CRC checks, else None."""
    hcrc = int.from_bytes(data[pos + _HEAD.size:pos + _HEAD_LEN], "little")
    if hcrc != crc_ccitt_false(data[pos:pos + _HEAD.size]):
        return None
    return Header(*_HEAD.unpack_from(data, pos)[1:])


class FrameParser:
    """Stream parser with resynchronisation and the partial-frame timeout (SPEC.md section 1).

    Times are seconds on any monotonic clock, passed in by the caller, so tests can drive
    the timeout without sleeping.
    """

    def __init__(self, max_payload: int, timeout: float = FRAME_TIMEOUT) -> None:
        self.max_payload = max_payload
        self.timeout = timeout
        self._data = bytearray()
        """Unconsumed bytes: empty, a partial header, or a checked header and part of its frame."""
        self._skip = 0
        """Bytes of an oversized frame still to discard as they arrive."""
        self._last_rx = 0.0

    def deadline(self) -> float | None:
        """When the partial frame held will be dropped if no byte arrives; None if none is held."""
        if not (self._data or self._skip):
            return None
        return self._last_rx + self.timeout

    def expire(self, now: float) -> list[Request]:
        """Drop the partial frame held if the line has been silent for ``timeout`` by ``now``.

        Its bytes are not scanned again: a frame embedded in a cut-off payload must not run.
        Returns the CUT item for a dropped frame whose header had checked.
        """
        limit = self.deadline()
        if limit is None or now < limit:
            return []
        data, self._skip = self._data, 0
        head = _header_at(data, 0) if len(data) >= _HEAD_LEN else None
        data.clear()
        return [] if head is None else [Request.without_body(head, Status.CUT)]

    def feed(self, chunk: bytes, now: float) -> list[Request]:
        """Add ``chunk``, received at ``now``; return every frame now complete or refused."""
        out = self.expire(now)
        if not chunk:
            return out
        self._last_rx = now
        if self._skip:
            dropped = min(self._skip, len(chunk))
            self._skip -= dropped
            chunk = chunk[dropped:]
        self._data += chunk
        self._scan(out)
        return out

    def _scan(self, out: list[Request]) -> None:
        """Consume every complete frame and garbage byte of the buffer into ``out``."""
        data = self._data
        pos = 0
        while True:
            pos = data.find(START, pos)
            if pos < 0:
                pos = len(data)
                break
            if len(data) - pos < _HEAD_LEN:
                break
            head = _header_at(data, pos)
            if head is None:
                pos += 1
                continue
            body = pos + _HEAD_LEN
            if head.length > self.max_payload:
                out.append(Request.without_body(head, Status.OVERSIZED))
                extent = head.length + _CRC_LEN
                if len(data) - body < extent:
                    self._skip = extent - (len(data) - body)
                    pos = len(data)
                    break
                pos = body + extent
                continue
            end = body + head.length
            if len(data) < end + _CRC_LEN:
                break
            crc = int.from_bytes(data[end:end + _CRC_LEN], "little")
            status = Status.INTACT if crc == crc_ccitt_false(data[pos:end]) else Status.DAMAGED
            out.append(Request(head.version, head.kind, head.command, head.seq,
                               bytes(data[body:end]), crc, status))
            pos = end + _CRC_LEN
        del data[:pos]


def reply_frame(kind: int, command: int, seq: int, payload: bytes) -> bytes:
    """An ACK or NAK frame."""
    head = _HEAD.pack(START, PROTOCOL, kind, command, seq, len(payload))
    head += crc_ccitt_false(head).to_bytes(2, "little")
    frame = head + payload
    return frame + crc_ccitt_false(frame).to_bytes(2, "little")
