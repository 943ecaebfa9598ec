"""The firmware enforces every check SPEC.md section 4 states: distinct indices, reserved
fields and flag bits, mode-dependent fields, reply sizes; IDENTIFY reports the pulse-width
range; the write-verify energy never goes negative."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from drivers.fpga.codec import Command, ErrorCode, Frame, FrameDecoder, Kind, encode_frame
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga import FirmwareConfig, FpgaFirmware
from mock_hw.fpga.writeverify import IGVVA, Program, write_verify

MODEL = DeviceModel(rows=8, cols=8, tiles=2, formed_at_start=True, stuck_lrs_fraction=0,
                    stuck_hrs_fraction=0)
_WV_BLOCK = struct.Struct("<BBBxHxx15f4x")


def _firmware(max_payload: int = 1 << 20, model: DeviceModel = MODEL) -> FpgaFirmware:
    return FpgaFirmware(SimulatedBench(RRAMArray(model, seed=3)),
                        FirmwareConfig(max_payload=max_payload))


def _ask(fw: FpgaFirmware, command: int, payload: bytes) -> Frame:
    (reply,) = FrameDecoder().feed(fw.handle(encode_frame(Kind.REQUEST, command, 1, payload)))
    assert isinstance(reply, Frame) and reply.command == command
    return reply


def _code(reply: Frame) -> int:
    """The NAK code of ``reply``, 0 for an ACK."""
    return int.from_bytes(reply.payload[:2], "little") if reply.kind == Kind.NAK else 0


def _wv(cells: tuple[int, ...] = (3,), flags: int = 1, wait: float = 0.0,
        patch: tuple[int, int] | None = None) -> bytes:
    """A WRITE_VERIFY payload; ``patch`` = (offset, byte) overwrites one byte of the block."""
    block = bytearray(_WV_BLOCK.pack(1, flags, 1, 40, 0.2, 0.7, 0.025, 1.6, 1.5, 1.0, 0.05,
                                     2.5, 2.7, 0.9, 0.05, 2.5, 500e-9, 500e-9, wait))
    if patch is not None:
        block[patch[0]] = patch[1]
    return bytes(block) + struct.pack("<I", len(cells)) + b"".join(
        struct.pack("<IIIf", c, 40_000, 44_000, float("nan")) for c in cells)


def _bench_state(fw: FpgaFirmware) -> tuple:
    b = fw.bench
    return (b.selected.tobytes(), b.gate.tobytes(), b.bl_route.tobytes(), b.sl_route.tobytes(),
            int(fw.array.writes.sum()), fw.array.clock)


P = struct.pack
RULES = {
    "SELECT repeated cell": (Command.SELECT, P("<III", 2, 5, 5), P("<III", 2, 5, 6)),
    "ROUTE reserved byte": (Command.ROUTE, P("<HBBHHH", 0, 2, 1, 1, 0, 0),
                            P("<HBBHHH", 0, 2, 0, 1, 0, 0)),
    "ROUTE repeated bit line": (Command.ROUTE, P("<HBxHHHH", 0, 2, 2, 0, 1, 1),
                                P("<HBxHHHH", 0, 2, 1, 1, 1, 1)),
    "ROUTE repeated source line": (Command.ROUTE, P("<HBxHHHH", 0, 2, 0, 2, 3, 3),
                                   P("<HBxHHHH", 0, 2, 0, 2, 3, 4)),
    "SET_GATE repeated row": (Command.SET_GATE, P("<HHHHff", 0, 2, 1, 1, 0.5, 0.5),
                              P("<HHHHff", 0, 2, 1, 2, 0.5, 0.5)),
    "READ reserved byte": (Command.READ, P("<BBHfI", 2, 1, 0, 0.2, 0),
                           P("<BBHfI", 2, 0, 0, 0.2, 0)),
    "READ mode 0 with a tile": (Command.READ, P("<BxHfII", 0, 1, 0.2, 1, 5),
                                P("<BxHfII", 0, 0, 0.2, 1, 5)),
    "READ mode 2 with a count": (Command.READ, P("<BxHfI", 2, 0, 0.2, 1),
                                 P("<BxHfI", 2, 0, 0.2, 0)),
    "READ repeated cell": (Command.READ, P("<BxHfIII", 0, 0, 0.2, 2, 4, 4),
                           P("<BxHfIII", 0, 0, 0.2, 2, 4, 5)),
    "READ repeated row": (Command.READ, P("<BxHfIII", 1, 1, 0.2, 2, 3, 3),
                          P("<BxHfIII", 1, 1, 0.2, 2, 3, 4)),
    "MVM reserved field": (Command.MVM, P("<HHHH", 0, 1, 0, 1) + bytes(16),
                           P("<HHHH", 0, 1, 0, 0) + bytes(16)),
    "MVM pair of one column": (Command.MVM, P("<HHHxx", 0, 1, 1) + bytes(16) + P("<HH", 2, 2),
                               P("<HHHxx", 0, 1, 2) + bytes(16) + P("<HHHH", 2, 3, 2, 3)),
    "WRITE_VERIFY reserved offset 3": (Command.WRITE_VERIFY, _wv(patch=(3, 1)), _wv()),
    "WRITE_VERIFY reserved offset 6": (Command.WRITE_VERIFY, _wv(patch=(7, 1)), _wv()),
    "WRITE_VERIFY reserved offset 68": (Command.WRITE_VERIFY, _wv(patch=(71, 1)), _wv()),
    "WRITE_VERIFY flag bit 2": (Command.WRITE_VERIFY, _wv(flags=0x05), _wv(flags=0x01)),
    "WRITE_VERIFY flag bit 7": (Command.WRITE_VERIFY, _wv(flags=0x81), _wv(flags=0x01)),
    "WRITE_VERIFY wait without flag bit 1": (Command.WRITE_VERIFY, _wv(flags=1, wait=1e-3),
                                             _wv(flags=3, wait=1e-3)),
}
"""Per rule: the command, a request breaking only that rule, and its valid neighbour."""


@pytest.mark.parametrize(("command", "bad", "good"), RULES.values(), ids=RULES.keys())
def test_argument_rules_are_enforced_before_anything_runs(command: int, bad: bytes,
                                                          good: bytes) -> None:
    fw = _firmware()
    before = _bench_state(fw)
    assert _code(_ask(fw, command, bad)) == ErrorCode.BAD_ARGUMENT
    assert _bench_state(fw) == before
    assert _code(_ask(fw, command, good)) == 0


REPLY_SIZES = {
    "READ mode 2": (Command.READ, P("<BxHfI", 2, 0, 0.2, 0), 4 + 2 * 64),
    "MVM with pairs": (Command.MVM, P("<HHHxx", 0, 10, 12) + bytes(2 * 10 * 8)
                       + P("<HH", 0, 1) * 12, 4 + 2 * 10 * 12),
    "WRITE_VERIFY": (Command.WRITE_VERIFY, _wv(cells=tuple(range(12))), 8 + 25 * 12),
}


@pytest.mark.parametrize(("command", "payload", "reply_size"), REPLY_SIZES.values(),
                         ids=REPLY_SIZES.keys())
def test_a_reply_beyond_max_payload_is_refused_before_anything_runs(
        command: int, payload: bytes, reply_size: int) -> None:
    assert len(payload) < reply_size
    fw = _firmware(max_payload=reply_size - 1)
    before = _bench_state(fw)
    reply = _ask(fw, command, payload)
    assert _code(reply) == ErrorCode.BAD_LENGTH and b"max_payload" in reply.payload
    assert _bench_state(fw) == before
    fits = _ask(_firmware(max_payload=reply_size), command, payload)
    assert _code(fits) == 0 and len(fits.payload) == reply_size


def test_identify_reports_the_pulse_width_range() -> None:
    model = MODEL.model_copy(update={"width_min": 50e-9, "width_max": 2e-6})
    reply = _ask(_firmware(model=model), Command.IDENTIFY, b"")
    assert struct.unpack_from("<ff", reply.payload, 28) == pytest.approx((50e-9, 2e-6))


def _program(max_pulses: int) -> Program:
    return Program(scheme=IGVVA, confirm=False, wait_verify=False, reads=1,
                   max_pulses=max_pulses, v_read=0.2, gate_start=0.7, gate_step=0.02,
                   gate_max=1.6, v_set=1.5, set_start=1.0, set_step=0.05, set_max=2.5,
                   reset_gate=2.7, reset_start=0.9, reset_step=0.05, reset_max=2.5,
                   set_width=500e-9, reset_width=500e-9, wait=0.0)


def test_energy_is_never_negative_when_read_noise_is() -> None:
    array = RRAMArray(MODEL, seed=1)
    cells = np.arange(4)
    polarity = {"sign": 1.0}

    def noisy_read(sel: np.ndarray) -> np.ndarray:
        """Below the band, alternately negative (noise) and positive: SET pulses only."""
        polarity["sign"] = -polarity["sign"]
        return np.full(sel.size, 10e-6 * polarity["sign"])

    results, _ = write_verify(array, noisy_read, cells, np.full(4, 40e-6), np.full(4, 44e-6),
                              np.full(4, 0.7), _program(max_pulses=6))
    assert np.all(results["set_pulses"] == 6)
    expected = 3 * 1.5**2 * 10e-6 * 500e-9
    assert results["energy"] == pytest.approx(np.full(4, expected), rel=1e-6)
