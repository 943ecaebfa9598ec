"""The firmware's receiver: oversized and cut-off frames, the partial-frame timeout, and a
frame parser and reply cache of its own for each connection (SPEC.md sections 1 and 3)."""

from __future__ import annotations

import socket
import struct
import time
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.fpga.codec import (
    HEADER_SIZE,
    Command,
    ErrorCode,
    Frame,
    FrameDecoder,
    Kind,
    encode_frame,
)
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga import FirmwareConfig, FpgaFirmware, FpgaServer
from mock_hw.fpga.wire import FRAME_TIMEOUT

SMALL = DeviceModel(rows=8, cols=8, formed_at_start=True, stuck_lrs_fraction=0,
                    stuck_hrs_fraction=0)
LIMIT = 128
"""max_payload of the firmware in the oversized-frame tests: small, so frames stay short."""


def _firmware(max_payload: int = LIMIT) -> FpgaFirmware:
    return FpgaFirmware(SimulatedBench(RRAMArray(SMALL, seed=3)),
                        FirmwareConfig(max_payload=max_payload))


def _set_gate(seq: int) -> bytes:
    """A valid SET_GATE request: row 3 of tile 0 to 1.2 V."""
    return encode_frame(Kind.REQUEST, Command.SET_GATE, seq, struct.pack("<HHHf", 0, 1, 3, 1.2))


def _wv_payload(cells: np.ndarray, lo: float, hi: float) -> bytes:
    block = struct.pack("<BBBxHxx15f4x", 1, 1, 1, 40, 0.2, 0.7, 0.025, 1.6, 1.5, 1.0,
                        0.05, 2.5, 2.7, 0.9, 0.05, 2.5, 500e-9, 500e-9, 0.0)
    return block + struct.pack("<I", cells.size) + b"".join(
        struct.pack("<IIIf", c, int(lo * 1e9), int(hi * 1e9), float("nan")) for c in cells)


def _write_verify(seq: int, cells: np.ndarray, lo: float = 40e-6, hi: float = 44e-6) -> bytes:
    """A valid WRITE_VERIFY request programming ``cells`` into [lo, hi]."""
    return encode_frame(Kind.REQUEST, Command.WRITE_VERIFY, seq, _wv_payload(cells, lo, hi))


def _select(seq: int, cell: int) -> bytes:
    return encode_frame(Kind.REQUEST, Command.SELECT, seq, struct.pack("<II", 1, cell))


EMBEDDED = {"SET_GATE": _set_gate,
            "WRITE_VERIFY": lambda seq: _write_verify(seq, np.array([5]))}
"""Requests that fit ``LIMIT`` and would change the bench if they were ever executed."""


def _frames(decoded: list) -> list[Frame]:
    """``decoded`` checked to hold only intact frames."""
    frames = [r for r in decoded if isinstance(r, Frame)]
    assert frames == decoded
    return frames


def _replies(data: bytes) -> list[Frame]:
    return _frames(FrameDecoder().feed(data))


def _summary(replies: list[Frame]) -> list[tuple[int, int, int]]:
    """(kind, seq, NAK code or 0) of each reply."""
    return [(r.kind, r.seq, int.from_bytes(r.payload[:2], "little") if r.kind == Kind.NAK
             else 0) for r in replies]


def _untouched(fw: FpgaFirmware) -> bool:
    """No pulse applied and no gate raised."""
    return fw.array.writes.sum() == 0 and not fw.bench.gate.any()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(EMBEDDED)), st.binary(max_size=48), st.binary(max_size=48),
       st.integers(0, 255), st.integers(0, 0xFFFE), st.data())
def test_oversized_frame_is_refused_and_what_it_embeds_never_runs(
        embedded: str, before: bytes, after: bytes, command: int, seq: int,
        data: st.DataObject) -> None:
    fw = _firmware()
    payload = before + EMBEDDED[embedded](seq) + after
    payload += bytes(max(0, LIMIT + 1 - len(payload)))
    big = encode_frame(Kind.REQUEST, command, seq, payload)
    stream = big + _select(seq + 1, 7)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    out = b"".join(fw.handle(stream[a:b], now=0.0)
                   for a, b in pairwise([0, *cuts, len(stream)]))
    assert _summary(_replies(out)) == [(Kind.NAK, seq, ErrorCode.BAD_LENGTH),
                                       (Kind.ACK, seq + 1, 0)]
    assert fw.executed == Counter({Command.SELECT: 1})
    assert _untouched(fw) and np.flatnonzero(fw.bench.selected).tolist() == [7]


def test_oversized_frame_is_answered_before_its_payload_arrives() -> None:
    fw = _firmware()
    big = encode_frame(Kind.REQUEST, Command.WRITE_VERIFY, 4, bytes(10 * LIMIT))
    (nak,) = _replies(fw.handle(big[:HEADER_SIZE], now=0.0))
    assert _summary([nak]) == [(Kind.NAK, 4, ErrorCode.BAD_LENGTH)]
    assert nak.command == Command.WRITE_VERIFY
    assert fw.handle(big[HEADER_SIZE:], now=0.01) == b""
    assert _summary(_replies(fw.handle(_select(5, 1), now=0.02))) == [(Kind.ACK, 5, 0)]


def test_silence_ends_the_discard_of_an_oversized_frame() -> None:
    fw = _firmware()
    big = encode_frame(Kind.REQUEST, Command.READ, 4, bytes(10 * LIMIT))
    (nak,) = _replies(fw.handle(big[:HEADER_SIZE + 20], now=0.0))
    (ack,) = _replies(fw.handle(_select(5, 2), now=FRAME_TIMEOUT))
    assert _summary([nak, ack]) == [(Kind.NAK, 4, ErrorCode.BAD_LENGTH), (Kind.ACK, 5, 0)]


@settings(max_examples=150, deadline=None)
@given(st.data(), st.booleans())
def test_cut_off_frame_is_dropped_after_silence(data: st.DataObject, poll: bool) -> None:
    fw = _firmware(max_payload=1 << 20)
    outer = encode_frame(Kind.REQUEST, Command.WRITE_VERIFY, 9,
                         bytes(30) + _set_gate(4) + bytes(40))
    cut = data.draw(st.integers(1, len(outer) - 1))
    assert fw.handle(outer[:cut], now=0.0) == b""
    assert fw.handle(b"", now=FRAME_TIMEOUT / 2) == b""
    out = fw.handle(b"", now=FRAME_TIMEOUT) if poll else b""
    out += fw.handle(_select(10, 6), now=2 * FRAME_TIMEOUT)
    cut_nak = [(Kind.NAK, 9, ErrorCode.BAD_CRC)] if cut >= HEADER_SIZE else []
    assert _summary(_replies(out)) == [*cut_nak, (Kind.ACK, 10, 0)]
    assert fw.executed == Counter({Command.SELECT: 1}) and _untouched(fw)


def test_the_timeout_counts_silence_not_the_duration_of_a_frame() -> None:
    fw = _firmware()
    frame = _set_gate(3)
    gap = 0.9 * FRAME_TIMEOUT
    out = b"".join(fw.handle(frame[i:i + 1], now=i * gap) for i in range(len(frame)))
    assert _summary(_replies(out)) == [(Kind.ACK, 3, 0)]
    assert fw.bench.gate[0, 3] == pytest.approx(1.2)
    start = len(frame) * gap
    fw.handle(_select(4, 1)[:HEADER_SIZE + 1], now=start)
    out = fw.handle(_select(5, 2), now=start + FRAME_TIMEOUT)
    assert _summary(_replies(out)) == [(Kind.NAK, 4, ErrorCode.BAD_CRC), (Kind.ACK, 5, 0)]


def _read_frames(sock: socket.socket, count: int) -> list[Frame]:
    decoder = FrameDecoder()
    got: list[Frame] = []
    while len(got) < count:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection"
        got += _frames(decoder.feed(chunk))
    return got


def test_server_answers_a_cut_off_frame_once_the_line_is_silent() -> None:
    fw = FpgaFirmware(SimulatedBench(RRAMArray(SMALL, seed=3)))
    frame = _select(3, 9)
    with FpgaServer(fw, port=0) as server, socket.create_connection(
            (server.host, server.port), timeout=5.0) as sock:
        start = time.monotonic()
        sock.sendall(frame[:-3])
        (nak,) = _read_frames(sock, 1)
        elapsed = time.monotonic() - start
        sock.sendall(frame)
        (ack,) = _read_frames(sock, 1)
    assert _summary([nak, ack]) == [(Kind.NAK, 3, ErrorCode.BAD_CRC), (Kind.ACK, 3, 0)]
    assert FRAME_TIMEOUT <= elapsed < 10 * FRAME_TIMEOUT
    assert fw.executed == Counter({Command.SELECT: 1})


def test_connections_do_not_share_the_reply_cache() -> None:
    fw = _firmware(max_payload=1 << 20)
    a, b = fw.stream(), fw.stream()
    frame = _write_verify(5, np.arange(8))
    first = a(frame, now=0.0)
    assert fw.array.writes.sum() > 0
    again = b(frame, now=0.0)
    assert fw.executed[Command.WRITE_VERIFY] == 2 and fw.replays == 0
    assert again != first and _replies(again)[0].kind == Kind.ACK
    b(_write_verify(6, np.arange(8), 60e-6, 64e-6), now=0.0)
    writes = fw.array.writes.sum()
    assert a(frame, now=0.0) == first
    assert fw.array.writes.sum() == writes
    assert fw.executed[Command.WRITE_VERIFY] == 3 and fw.replays == 1


def test_identify_clears_only_its_own_connections_cache() -> None:
    fw = _firmware(max_payload=1 << 20)
    a, b = fw.stream(), fw.stream()
    frame = _write_verify(5, np.arange(4))
    first = a(frame, now=0.0)
    writes = fw.array.writes.sum()
    b(encode_frame(Kind.REQUEST, Command.IDENTIFY, 0, b""), now=0.0)
    assert a(frame, now=0.0) == first
    assert fw.array.writes.sum() == writes and fw.replays == 1


def _exchange(sock: socket.socket, frame: bytes) -> bytes:
    sock.sendall(frame)
    (reply,) = _read_frames(sock, 1)
    return encode_frame(reply.kind, reply.command, reply.seq, reply.payload)


def test_two_clients_of_one_server_each_get_their_own_execution() -> None:
    fw = FpgaFirmware(SimulatedBench(RRAMArray(SMALL, seed=3)))
    frame = _write_verify(1, np.arange(8))
    with FpgaServer(fw, port=0) as server, socket.create_connection(
            (server.host, server.port), timeout=5.0) as a, socket.create_connection(
            (server.host, server.port), timeout=5.0) as b:
        first = _exchange(a, frame)
        _exchange(b, frame)
        assert fw.executed[Command.WRITE_VERIFY] == 2 and fw.replays == 0
        _exchange(b, _write_verify(2, np.arange(8), 60e-6, 64e-6))
        writes = fw.array.writes.sum()
        assert _exchange(a, frame) == first
    assert fw.array.writes.sum() == writes and fw.replays == 1
