"""Frame codec of the FPGA link (SPEC.md sections 1-2): encoder and stream decoder.

Frames are length-delimited: a 12-byte header protected by its own CRC-16 (so a damaged
length can never make the decoder swallow later frames), the payload, and a CRC-16 over
everything before it. CRC-16/CCITT-FALSE is ``binascii.crc_hqx`` with initial value 0xFFFF.
A header that checks is trusted, its length included: a frame longer than the decoder
accepts is reported and its extent discarded unread, never scanned for frames inside it.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from enum import IntEnum

SOF = 0xA5
VERSION = 2
HEADER = struct.Struct("<BBBBHIH")
HEADER_SIZE = HEADER.size
CRC_SIZE = 2
HOST_MAX_PAYLOAD = 16 * 1024 * 1024
"""Largest reply payload the host accepts (SPEC.md section 1)."""
_HEADER_BODY = HEADER_SIZE - CRC_SIZE
_DISCARD_READ = 1 << 16
"""Most bytes ``wanted`` asks for while discarding an oversized frame (bounded reads)."""


class Kind(IntEnum):
    """Direction and outcome of a frame."""

    REQUEST = 0x01
    ACK = 0x02
    NAK = 0x03


class Command(IntEnum):
    """Command codes (SPEC.md section 4)."""

    IDENTIFY = 0x01
    SELECT = 0x02
    ROUTE = 0x03
    SET_GATE = 0x04
    READ = 0x05
    MVM = 0x06
    WRITE_VERIFY = 0x07
    SAFE_STATE = 0x08


class ErrorCode(IntEnum):
    """NAK error codes (SPEC.md section 2); only BAD_CRC is worth retrying."""

    BAD_CRC = 1
    BAD_VERSION = 2
    UNKNOWN_COMMAND = 3
    BAD_LENGTH = 4
    BAD_ARGUMENT = 5
    LIMIT = 6
    INTERNAL = 7


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (poly 0x1021, init 0xFFFF, no reflection, xorout 0)."""
    return binascii.crc_hqx(data, crc)


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    kind: int
    command: int
    seq: int
    payload: bytes
    version: int = VERSION


@dataclass(frozen=True)
class DamagedFrame:
    """A frame whose header checked but whose frame CRC did not: its extent and seq are known."""

    kind: int
    command: int
    seq: int
    version: int


@dataclass(frozen=True)
class OversizedFrame:
    """A frame whose header checked but whose length exceeds the decoder's ``max_payload``.

    Its payload and frame CRC are discarded as they arrive, unread (SPEC.md section 1).
    """

    kind: int
    command: int
    seq: int
    version: int
    length: int


Decoded = Frame | DamagedFrame | OversizedFrame
"""What ``FrameDecoder.feed`` yields."""


def encode_frame(kind: int, command: int, seq: int, payload: bytes = b"",
                 version: int = VERSION) -> bytes:
    """The bytes of one frame."""
    head = HEADER.pack(SOF, version, kind, command, seq & 0xFFFF, len(payload), 0)[:_HEADER_BODY]
    head += crc16(head).to_bytes(2, "little")
    body = head + payload
    return body + crc16(body).to_bytes(2, "little")


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, collect frames, damaged and oversized.

    Garbage between frames is skipped; a candidate header that fails its CRC is taken as
    garbage, one byte at a time. A checked header announcing more than ``max_payload``
    bytes yields an ``OversizedFrame`` at once; the frame's remaining bytes are then
    counted off as they arrive, without being buffered or scanned.
    """

    def __init__(self, max_payload: int = HOST_MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buf = bytearray()
        self._skip = 0
        self.discarded = 0
        """Bytes dropped as garbage or as the body of an oversized frame so far."""

    @property
    def discarding(self) -> bool:
        """Whether bytes of an oversized frame are still expected (and will be dropped)."""
        return self._skip > 0

    def clear(self) -> None:
        """Forget any partial frame, and any rest of an oversized frame still expected."""
        self._buf.clear()
        self._skip = 0

    def wanted(self) -> int:
        """How many more bytes complete the frame being received or discarded (at least 1)."""
        if self._skip:
            return min(self._skip, _DISCARD_READ)
        buf = self._buf
        if len(buf) < HEADER_SIZE or buf[0] != SOF:
            return max(1, HEADER_SIZE - len(buf))
        length = int.from_bytes(buf[6:10], "little")
        return max(1, HEADER_SIZE + length + CRC_SIZE - len(buf))

    def feed(self, data: bytes) -> list[Decoded]:
        """Append ``data``; return every frame it completes or reports, in order."""
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            self.discarded += dropped
            data = data[dropped:]
        self._buf += data
        out: list[Decoded] = []
        buf = self._buf
        while True:
            start = buf.find(SOF)
            if start < 0:
                self.discarded += len(buf)
                buf.clear()
                return out
            if start:
                self.discarded += start
                del buf[:start]
            if len(buf) < HEADER_SIZE:
                return out
            _, version, kind, command, seq, length, hcrc = HEADER.unpack_from(buf)
            if hcrc != crc16(bytes(buf[:_HEADER_BODY])):
                self.discarded += 1
                del buf[:1]
                continue
            if length > self.max_payload:
                out.append(OversizedFrame(kind, command, seq, version, length))
                self._discard_extent(length + CRC_SIZE)
                continue
            end = HEADER_SIZE + length
            if len(buf) < end + CRC_SIZE:
                return out
            frame_bytes = bytes(buf[:end])
            fcrc = int.from_bytes(buf[end:end + CRC_SIZE], "little")
            del buf[:end + CRC_SIZE]
            if fcrc == crc16(frame_bytes):
                out.append(Frame(kind, command, seq, frame_bytes[HEADER_SIZE:], version))
            else:
                out.append(DamagedFrame(kind, command, seq, version))

    def _discard_extent(self, extent: int) -> None:
        """Drop the header at the buffer's start and the ``extent`` bytes that follow it."""
        buf = self._buf
        held = min(extent, len(buf) - HEADER_SIZE)
        del buf[:HEADER_SIZE + held]
        self._skip = extent - held
        self.discarded += HEADER_SIZE + held
