"""The emulated firmware on raw frames: refusals, de-duplication, streaming, write-verify."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.fpga.codec import Command, ErrorCode, Frame, FrameDecoder, Kind, encode_frame
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga import FpgaFirmware
from mock_hw.fpga.wire import crc_ccitt_false
from mock_hw.fpga.writeverify import IGVVA, ISPVA, Program, write_verify

SMALL = DeviceModel(rows=8, cols=8, formed_at_start=True, stuck_lrs_fraction=0,
                    stuck_hrs_fraction=0)


@pytest.fixture
def fw() -> FpgaFirmware:
    return FpgaFirmware(SimulatedBench(RRAMArray(SMALL, seed=3)))


def _ask(fw: FpgaFirmware, command: int, payload: bytes = b"", seq: int = 1) -> Frame:
    (reply,) = FrameDecoder().feed(fw.handle(encode_frame(Kind.REQUEST, command, seq, payload)))
    assert isinstance(reply, Frame) and reply.seq == seq and reply.command == command
    return reply


def _nak_code(reply: Frame) -> int:
    assert reply.kind == Kind.NAK
    return int.from_bytes(reply.payload[:2], "little")


def test_crc_check_value() -> None:
    assert crc_ccitt_false(b"123456789") == 0x29B1


def test_identify_layout(fw: FpgaFirmware) -> None:
    reply = _ask(fw, Command.IDENTIFY)
    assert reply.kind == Kind.ACK
    fields = struct.unpack_from("<BBBBHHHBBffffffII", reply.payload)
    assert fields[3:9] == (2, 1, 8, 8, 14, 8)
    width_min, width_max = struct.unpack_from("<ff", reply.payload, 28)
    assert (width_min, width_max) == pytest.approx((SMALL.width_min, SMALL.width_max))
    assert struct.unpack_from("<II", reply.payload, 36) == (0x7F, 1 << 20)
    assert reply.payload[45:] == b"labctl-mock-fpga" and reply.payload[44] == 16


@pytest.mark.parametrize(("command", "payload", "code"), [
    (0x42, b"", ErrorCode.UNKNOWN_COMMAND),
    (Command.SELECT, struct.pack("<I", 2) + struct.pack("<I", 1), ErrorCode.BAD_LENGTH),
    (Command.SELECT, struct.pack("<II", 1, 64), ErrorCode.BAD_ARGUMENT),
    (Command.ROUTE, struct.pack("<HBxHHH", 0, 9, 1, 0, 0), ErrorCode.BAD_ARGUMENT),
    (Command.SET_GATE, struct.pack("<HHHf", 0, 1, 0, 7.0), ErrorCode.LIMIT),
    (Command.READ, struct.pack("<BxHfI", 0, 0, 9.0, 0), ErrorCode.LIMIT),
    (Command.READ, struct.pack("<BxHfI", 2, 3, 0.2, 0), ErrorCode.BAD_ARGUMENT),
    (Command.MVM, struct.pack("<HHHxx", 0, 1, 0) + bytes(15), ErrorCode.BAD_LENGTH),
])
def test_bad_requests_are_refused_and_change_nothing(fw: FpgaFirmware, command: int,
                                                     payload: bytes, code: int) -> None:
    gates = fw.bench.gate.copy()
    assert _nak_code(_ask(fw, command, payload)) == code
    assert not fw.bench.selected.any() and np.array_equal(fw.bench.gate, gates)


def test_damaged_and_foreign_frames(fw: FpgaFirmware) -> None:
    raw = bytearray(encode_frame(Kind.REQUEST, Command.SAFE_STATE, 9, b""))
    raw[-1] ^= 0xFF
    (reply,) = FrameDecoder().feed(fw.handle(bytes(raw)))
    assert _nak_code(reply) == ErrorCode.BAD_CRC and reply.seq == 9
    (reply,) = FrameDecoder().feed(fw.handle(
        encode_frame(Kind.REQUEST, Command.IDENTIFY, 3, b"", version=3)))
    assert _nak_code(reply) == ErrorCode.BAD_VERSION
    assert fw.handle(encode_frame(Kind.ACK, Command.IDENTIFY, 3, b"")) == b""


def test_stream_is_parsed_byte_by_byte_through_garbage(fw: FpgaFirmware) -> None:
    select = encode_frame(Kind.REQUEST, Command.SELECT, 1, struct.pack("<II", 1, 5))
    stream = b"\xa5\x00garbage\xa5" + select + b"\x13\x37" + encode_frame(
        Kind.REQUEST, Command.IDENTIFY, 2, b"")
    out = b"".join(fw.handle(stream[i:i + 1]) for i in range(len(stream)))
    replies = FrameDecoder().feed(out)
    assert [(r.kind, r.seq) for r in replies] == [(Kind.ACK, 1), (Kind.ACK, 2)]
    assert np.flatnonzero(fw.bench.selected).tolist() == [5]


def _wv_payload(cells: np.ndarray, lo: float, hi: float, scheme: int = 1) -> bytes:
    block = struct.pack("<BBBxHxx15f4x", scheme, 1, 1, 40, 0.2, 0.7, 0.025, 1.6, 1.5, 1.0,
                        0.05, 2.5, 2.7, 0.9, 0.05, 2.5, 500e-9, 500e-9, 0.0)
    rec = struct.pack("<IIIf", 0, int(lo * 1e9), int(hi * 1e9), float("nan"))
    return block + struct.pack("<I", cells.size) + b"".join(
        struct.pack("<I", c) + rec[4:] for c in cells)


def test_retry_is_replayed_not_executed(fw: FpgaFirmware) -> None:
    frame = encode_frame(Kind.REQUEST, Command.WRITE_VERIFY, 5,
                         _wv_payload(np.arange(8), 40e-6, 44e-6))
    first = fw.handle(frame)
    writes = fw.array.writes.sum()
    assert fw.handle(frame) == first
    assert fw.array.writes.sum() == writes and fw.replays == 1
    fw.handle(encode_frame(Kind.REQUEST, Command.WRITE_VERIFY, 6,
                           _wv_payload(np.arange(8), 60e-6, 64e-6)))
    assert fw.array.writes.sum() > writes


def test_identify_starts_a_session(fw: FpgaFirmware) -> None:
    frame = encode_frame(Kind.REQUEST, Command.SAFE_STATE, 0, b"")
    fw.handle(frame)
    fw.handle(encode_frame(Kind.REQUEST, Command.IDENTIFY, 0, b""))
    fw.handle(frame)
    assert fw.executed[Command.SAFE_STATE] == 2 and fw.replays == 0


def _program(scheme: int, wait: float = 0.0) -> Program:
    return Program(scheme=scheme, confirm=True, wait_verify=wait > 0, reads=2, max_pulses=60,
                   v_read=0.2, gate_start=0.7, gate_step=0.02, gate_max=1.6, v_set=1.5,
                   set_start=1.0, set_step=0.05, set_max=2.5, reset_gate=2.7, reset_start=0.9,
                   reset_step=0.05, reset_max=2.5, set_width=500e-9, reset_width=500e-9,
                   wait=wait)


def _run(scheme: int, gate0: np.ndarray, wait: float = 0.0) -> tuple[np.ndarray, RRAMArray,
                                                                       float]:
    array = RRAMArray(DeviceModel(rows=16, cols=16, formed_at_start=True), seed=11)
    cells = np.arange(256)
    target = np.linspace(20e-6, 100e-6, 256)

    def read(sel: np.ndarray) -> np.ndarray:
        return array.read_conductance(sel, 0.2)

    t0 = array.clock
    results, batch_time = write_verify(array, read, cells, target - 2e-6, target + 2e-6,
                                       gate0, _program(scheme, wait))
    assert array.clock - t0 == pytest.approx(batch_time)
    ok = results["success"].astype(bool)
    assert np.all(np.abs(results["g_final"][ok] - target[ok]) <= 2e-6 + 1e-6)
    return results, array, batch_time


def test_igvva_converges_with_sensible_statistics() -> None:
    results, _, batch_time = _run(IGVVA, np.full(256, 0.7))
    assert results["success"].mean() > 0.95
    assert 3 < results["pulses"].mean() < 40
    assert results["reversals"].mean() < 5
    assert np.all(results["pulses"] == results["set_pulses"] + results["reset_pulses"])
    assert batch_time == pytest.approx(results["time"].astype(float).sum(), rel=1e-5)
    energy_per_pulse = results["energy"].sum() / results["pulses"].sum()
    assert 1e-13 < energy_per_pulse < 1e-9


def test_calibrated_gate_start_saves_pulses() -> None:
    target = np.linspace(20e-6, 100e-6, 256)
    calibrated = 0.55 + (target * 0.4 / 80e-6) ** (1 / 1.5) - 0.05
    slow, _, _ = _run(IGVVA, np.full(256, 0.7))
    fast, _, _ = _run(IGVVA, calibrated)
    assert fast["pulses"].mean() < 0.7 * slow["pulses"].mean()


def test_ispva_steps_the_bit_line_at_a_fixed_gate() -> None:
    target = np.linspace(20e-6, 100e-6, 256)
    gate = 0.55 + (target * 0.4 / 80e-6) ** (1 / 1.5)
    results, _, _ = _run(ISPVA, gate)
    assert results["success"].mean() > 0.8
    assert results["set_pulses"].sum() > 0


def test_wait_then_verify_absorbs_relaxation() -> None:
    target = np.linspace(20e-6, 100e-6, 256)

    def in_band_later(array: RRAMArray) -> float:
        array.advance(100.0)
        return float(np.mean(np.abs(array.conductance(np.arange(256)) - target) <= 2e-6))

    plain, array_plain, _ = _run(IGVVA, np.full(256, 0.7))
    waited, array_waited, batch_time = _run(IGVVA, np.full(256, 0.7), wait=100.0)
    assert batch_time >= 100.0
    assert np.all(waited["time"][waited["success"] == 1] >= 100.0)
    assert waited["pulses"].sum() > plain["pulses"].sum()
    assert in_band_later(array_waited) > in_band_later(array_plain) + 0.05


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_firmware_survives_any_bytes(garbage: bytes, seq: int) -> None:
    fw = FpgaFirmware(SimulatedBench(RRAMArray(SMALL, seed=3)))
    identify = encode_frame(Kind.REQUEST, Command.IDENTIFY, seq, b"")
    replies = FrameDecoder().feed(fw.handle(garbage) + fw.handle(bytes(600) + identify))
    assert replies and replies[-1].seq == seq and replies[-1].kind == Kind.ACK
    assert all(isinstance(r, Frame) for r in replies)


def test_a_batch_advances_the_clock_by_its_time_from_wherever_the_clock_stands() -> None:
    array = RRAMArray(DeviceModel(rows=16, cols=16, formed_at_start=True), seed=11)
    array.advance(7.0)
    cells = np.arange(64)
    target = np.linspace(20e-6, 100e-6, 64)
    _, batch_time = write_verify(array, lambda sel: array.read_conductance(sel, 0.2), cells,
                                 target - 2e-6, target + 2e-6, np.full(64, 0.7),
                                 _program(IGVVA, 0.0))
    assert array.clock - 7.0 == pytest.approx(batch_time)

