"""The firmware's side of the link framing, implemented from drivers/fpga/SPEC.md alone.

``FrameParser`` takes the byte stream as it arrives (any chunking), skips garbage, and
yields ``Request`` items: complete requests, or damaged ones (frame CRC failed, header
sound) that the firmware answers with NAK BAD_CRC. ``reply_frame`` builds ACK/NAK frames.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

START = 0xA5
PROTOCOL = 1
REQUEST, ACK, NAK = 0x01, 0x02, 0x03
_HEAD = struct.Struct("<BBBBHI")
_HEAD_LEN = _HEAD.size + 2


def crc_ccitt_false(data: bytes | bytearray) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, unreflected); b'123456789' -> 0x29B1."""
    return binascii.crc_hqx(data, 0xFFFF)


@dataclass(frozen=True)
class Request:
    """One received frame; ``intact`` is False when its frame CRC failed."""

    version: int
    kind: int
    command: int
    seq: int
    payload: bytes
    crc: int
    intact: bool


class FrameParser:
    """Stream parser with resynchronisation (SPEC.md section 1)."""

    def __init__(self, max_payload: int) -> None:
        self.max_payload = max_payload
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[Request]:
        """Add ``chunk``; return every frame now complete, in order."""
        out: list[Request] = []
        data = self._data
        data += chunk
        pos = 0
        while True:
            pos = data.find(START, pos)
            if pos < 0 or len(data) - pos < _HEAD_LEN:
                break
            version, kind, command, seq, length = _HEAD.unpack_from(data, pos)[1:]
            head_crc = int.from_bytes(data[pos + _HEAD.size:pos + _HEAD_LEN], "little")
            if head_crc != crc_ccitt_false(data[pos:pos + _HEAD.size]) or (
                    length > self.max_payload):
                pos += 1
                continue
            end = pos + _HEAD_LEN + length
            if len(data) < end + 2:
                break
            crc = int.from_bytes(data[end:end + 2], "little")
            intact = crc == crc_ccitt_false(data[pos:end])
            out.append(Request(version, kind, command, seq, bytes(data[pos + _HEAD_LEN:end]),
                               crc, intact))
            pos = end + 2
        del data[:len(data) if pos < 0 else pos]
        return out


def reply_frame(kind: int, command: int, seq: int, payload: bytes) -> bytes:
    """An ACK or NAK frame."""
    head = _HEAD.pack(START, PROTOCOL, kind, command, seq, len(payload))
    head += crc_ccitt_false(head).to_bytes(2, "little")
    frame = head + payload
    return frame + crc_ccitt_false(frame).to_bytes(2, "little")
