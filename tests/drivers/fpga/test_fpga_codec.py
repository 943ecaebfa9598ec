"""Frame codec: CRC variant, round trips, and a decoder that survives any input."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.fpga.codec import (
    HEADER_SIZE,
    VERSION,
    Command,
    DamagedFrame,
    Frame,
    FrameDecoder,
    Kind,
    OversizedFrame,
    crc16,
    encode_frame,
)


def _crc_bitwise(data: bytes) -> int:
    """Textbook CRC-16/CCITT-FALSE, bit by bit, as a reference for the fast one."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def test_crc_matches_the_catalogue_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert _crc_bitwise(b"123456789") == 0x29B1


@given(st.binary(max_size=300))
def test_crc_equals_reference(data: bytes) -> None:
    assert crc16(data) == _crc_bitwise(data)


def test_frame_layout_is_as_specified() -> None:
    raw = encode_frame(Kind.REQUEST, Command.SELECT, 0x1234, b"\x01\x02\x03")
    assert VERSION == 2
    assert raw[:10] == bytes([0xA5, 2, 1, 2, 0x34, 0x12, 3, 0, 0, 0])
    assert int.from_bytes(raw[10:12], "little") == crc16(raw[:10])
    assert raw[12:15] == b"\x01\x02\x03"
    assert int.from_bytes(raw[15:], "little") == crc16(raw[:15])


frames = st.builds(Frame, kind=st.sampled_from(list(Kind)), command=st.integers(0, 255),
                   seq=st.integers(0, 0xFFFF), payload=st.binary(max_size=200))


@given(st.lists(frames, max_size=4), st.data())
def test_round_trip_in_any_chunking(sent: list[Frame], data: st.DataObject) -> None:
    stream = b"".join(encode_frame(f.kind, f.command, f.seq, f.payload) for f in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    dec = FrameDecoder()
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += dec.feed(stream[a:b])
    assert got == sent


@given(st.binary(max_size=64), frames, st.binary(max_size=64))
def test_frame_found_between_garbage(before: bytes, frame: Frame, after: bytes) -> None:
    raw = encode_frame(frame.kind, frame.command, frame.seq, frame.payload)
    assert frame in FrameDecoder().feed(before + raw + after)


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_garbage_never_crashes_and_yields_only_genuine_frames(garbage: bytes) -> None:
    for got in FrameDecoder().feed(garbage):
        if isinstance(got, Frame):
            assert encode_frame(got.kind, got.command, got.seq, got.payload, got.version
                                ) in garbage


@settings(max_examples=300)
@given(frames, st.data())
def test_bit_flips_are_never_accepted(frame: Frame, data: st.DataObject) -> None:
    raw = bytearray(encode_frame(frame.kind, frame.command, frame.seq, frame.payload))
    bits = data.draw(st.sets(st.integers(0, 8 * len(raw) - 1), min_size=1, max_size=3))
    for bit in bits:
        raw[bit // 8] ^= 1 << (bit % 8)
    dec = FrameDecoder()
    got = dec.feed(bytes(raw)) + dec.feed(bytes(64))
    assert not any(isinstance(g, Frame) for g in got)


@given(frames, st.data())
def test_truncated_frame_is_held_not_accepted(frame: Frame, data: st.DataObject) -> None:
    raw = encode_frame(frame.kind, frame.command, frame.seq, frame.payload)
    cut = data.draw(st.integers(0, len(raw) - 1))
    dec = FrameDecoder()
    assert dec.feed(raw[:cut]) == []
    assert dec.wanted() >= 1
    assert dec.feed(raw[cut:]) == [frame]


def test_damaged_payload_is_reported_with_its_sequence_number() -> None:
    raw = bytearray(encode_frame(Kind.ACK, Command.READ, 77, b"abcdef"))
    raw[HEADER_SIZE + 2] ^= 0x10
    assert FrameDecoder().feed(bytes(raw)) == [DamagedFrame(Kind.ACK, Command.READ, 77, 2)]


def _split(stream: bytes, cuts: list[int]) -> list[bytes]:
    return [stream[a:b] for a, b in pairwise([0, *sorted(cuts), len(stream)])]


@settings(max_examples=200)
@given(st.binary(max_size=40), st.binary(max_size=40), st.integers(0, 0xFFFF), st.data())
def test_oversized_reply_is_reported_and_never_scanned(before: bytes, after: bytes, seq: int,
                                                       data: st.DataObject) -> None:
    hidden = encode_frame(Kind.ACK, Command.READ, seq, b"hidden")
    big = encode_frame(Kind.ACK, Command.READ, seq, before + hidden + after + bytes(60))
    nxt = encode_frame(Kind.ACK, Command.SELECT, seq ^ 1, b"ok")
    stream = big + nxt
    dec = FrameDecoder(max_payload=60)
    got = []
    for chunk in _split(stream, data.draw(st.lists(st.integers(0, len(stream)), max_size=8))):
        got += dec.feed(chunk)
    length = len(big) - HEADER_SIZE - 2
    assert got == [OversizedFrame(Kind.ACK, Command.READ, seq, VERSION, length),
                   Frame(Kind.ACK, Command.SELECT, seq ^ 1, b"ok")]
    assert dec.discarded == len(big) and not dec.discarding


def test_oversized_reply_is_discarded_as_it_arrives() -> None:
    big = encode_frame(Kind.ACK, Command.READ, 1, bytes(100))
    dec = FrameDecoder(max_payload=50)
    assert dec.feed(big[:20]) == [OversizedFrame(Kind.ACK, Command.READ, 1, VERSION, 100)]
    assert dec.discarding and dec.wanted() == len(big) - 20
    assert dec.feed(big[20:]) == [] and not dec.discarding
    dec.feed(big[:20])
    dec.clear()
    assert not dec.discarding
    assert dec.feed(encode_frame(Kind.ACK, Command.READ, 2, b"ok")) == [
        Frame(Kind.ACK, Command.READ, 2, b"ok")]
