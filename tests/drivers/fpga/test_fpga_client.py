"""FpgaLink against the emulated firmware, in process: every command and every refusal."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from drivers.errors import SafetyError
from drivers.fpga import (
    CELL_RESULT_DTYPE,
    FirmwareError,
    FpgaLink,
    InvalidRequestError,
    LinkTimeout,
    LoopbackPort,
    ProtocolError,
    WriteVerifyParams,
)
from drivers.fpga.codec import (
    HEADER,
    HOST_MAX_PAYLOAD,
    VERSION,
    Command,
    ErrorCode,
    FrameDecoder,
    Kind,
    crc16,
    encode_frame,
)
from mock_hw import Route
from mock_hw.fpga import FirmwareConfig, FpgaFirmware
from tests.interlock import lax


def test_identify_reports_the_board(link: FpgaLink) -> None:
    ident = link.identify()
    assert (ident.tiles, ident.rows, ident.cols) == (2, 16, 16)
    assert ident.protocol_version == 2 and ident.name == "labctl-mock-fpga"
    assert (ident.width_min, ident.width_max) == pytest.approx((10e-9, 1e-3))
    assert ident.adc_bits == 14 and ident.dac_bits == 8
    assert ident.read_full_scale == pytest.approx(50e-6)
    assert ident.max_payload == 1 << 20


def test_select_route_gate_and_safe_state_set_the_switch_matrix(
        link: FpgaLink, firmware: FpgaFirmware) -> None:
    bench = firmware.bench
    link.select([3, 300])
    assert np.flatnonzero(bench.selected).tolist() == [3, 300]
    link.route(1, bit_lines=[2, 5], source_lines=[0], to="pulse")
    assert bench.bl_route[1, [2, 5]].tolist() == [Route.PULSE] * 2
    assert bench.sl_route[1, 0] == Route.PULSE and bench.bl_route[0, 2] == Route.GROUND
    link.set_gate(0, [1, 2], [1.1, 0.9])
    assert bench.gate[0, [1, 2]] == pytest.approx([1.1, 0.9])
    link.safe_state()
    assert not bench.selected.any() and not bench.gate.any()
    assert (bench.bl_route == Route.GROUND).all() and (bench.sl_route == Route.GROUND).all()


def test_reads_return_currents_of_the_cells(link: FpgaLink, firmware: FpgaFirmware) -> None:
    array = firmware.array
    cells = np.array([0, 17, 300, 511])
    g = array.conductance(cells)
    assert link.read_cells(cells, 0.2) == pytest.approx(0.2 * g, rel=0.1, abs=100e-9)
    whole = link.read_array(1, 0.1)
    assert whole.shape == (16, 16)
    assert whole == pytest.approx(0.1 * array.conductance_map(1), rel=0.1, abs=100e-9)
    rows = link.read_rows(0, [3, 4], 0.2)
    assert rows == pytest.approx(0.2 * array.conductance_map(0)[[3, 4]], rel=0.1, abs=100e-9)


def test_mvm_matches_the_conductance_matrix(link: FpgaLink, firmware: FpgaFirmware) -> None:
    rng = np.random.default_rng(1)
    volts = rng.uniform(0, 0.2, size=(5, 16))
    codes = link.dac_codes(volts)
    g = firmware.array.conductance_map(0)
    expected = (codes * 0.2 / 127) @ g
    out = link.mvm(0, codes)
    assert out.shape == (5, 16)
    assert out == pytest.approx(expected, rel=0.05, abs=2e-6)
    pairs = [(0, 1), (4, 2)]
    diff = link.mvm(0, codes, pairs=pairs)
    assert diff == pytest.approx(expected[:, [0, 4]] - expected[:, [1, 2]], abs=3e-6)


def test_large_requests_are_split_into_frames(firmware: FpgaFirmware) -> None:
    firmware = FpgaFirmware(firmware.bench, FirmwareConfig(max_payload=300))
    link = FpgaLink(LoopbackPort(firmware.handle), lax())
    link.identify()
    before = link.round_trips
    currents = link.read_cells(np.arange(200), 0.2)
    assert currents.shape == (200,) and link.round_trips - before == 3  # 72 cells a frame
    assert link.mvm(0, np.ones((20, 16), int)).shape == (20, 16)
    assert firmware.executed[Command.MVM] == 3  # 9 vectors a frame
    results = link.write_verify(np.arange(30), 20e-6, 30e-6, WriteVerifyParams())
    assert results["cell"].tolist() == list(range(30))
    assert firmware.executed[Command.WRITE_VERIFY] == 3  # 11 cells a frame


def test_write_verify_programs_cells_into_their_bands(link: FpgaLink) -> None:
    cells = np.arange(0, 512, 2)
    target = np.where(cells % 4 == 0, 30e-6, 80e-6)
    results = link.write_verify(cells, target - 2e-6, target + 2e-6, WriteVerifyParams())
    assert results.dtype == CELL_RESULT_DTYPE
    assert results["cell"].tolist() == cells.tolist()
    assert results["success"].mean() > 0.95
    ok = results[results["success"]]
    assert np.all(np.abs(ok["g_final"] - target[results["success"]]) <= 2e-6 + 1e-9)
    assert np.all(ok["pulses"] == ok["set_pulses"] + ok["reset_pulses"])
    assert np.all(results["energy"][results["pulses"] > 0] > 0)
    assert link.last_batch_time == pytest.approx(results["time"].sum(), rel=1e-4)


def test_refused_request_raises_firmware_error_with_code() -> None:
    def refuse(data: bytes) -> bytes:
        (req,) = FrameDecoder().feed(data)
        payload = ErrorCode.LIMIT.to_bytes(2, "little") + b"too hot"
        return encode_frame(Kind.NAK, req.command, req.seq, payload)

    link = FpgaLink(LoopbackPort(refuse), lax())
    with pytest.raises(FirmwareError, match=r"LIMIT.*too hot") as info:
        link.identify()
    assert info.value.code == ErrorCode.LIMIT and link.retries == 0


def test_silence_raises_link_timeout_after_bounded_retries() -> None:
    sent: list[bytes] = []
    link = FpgaLink(LoopbackPort(lambda data: sent.append(data) or b""), lax(), retries=2)
    with pytest.raises(LinkTimeout, match="IDENTIFY"):
        link.identify()
    assert len(sent) == 3 and len(set(sent)) == 1 and link.retries == 2


def test_an_oversized_reply_is_discarded_and_reported_without_a_retry() -> None:
    sent: list[bytes] = []

    def huge(data: bytes) -> bytes:
        sent.append(data)
        (req,) = FrameDecoder().feed(data)
        announced = HOST_MAX_PAYLOAD + 1
        head = HEADER.pack(0xA5, VERSION, Kind.ACK, req.command, req.seq, announced, 0)[:10]
        hidden = encode_frame(Kind.ACK, req.command, req.seq, b"")  # never to be decoded
        return head + crc16(head).to_bytes(2, "little") + hidden + bytes(1000)

    link = FpgaLink(LoopbackPort(huge), lax(), retries=3)
    with pytest.raises(ProtocolError, match="announces"):
        link.identify()
    assert len(sent) == 1


def test_wrong_protocol_version_is_reported() -> None:
    def old(data: bytes) -> bytes:
        (req,) = FrameDecoder().feed(data)
        return encode_frame(Kind.ACK, req.command, req.seq, b"", version=3)

    with pytest.raises(ProtocolError, match="version 3"):
        FpgaLink(LoopbackPort(old), lax()).identify()


def test_invalid_requests_send_nothing(link: FpgaLink) -> None:
    link.identify()
    sent = link.round_trips
    with pytest.raises(InvalidRequestError, match="index 512"):
        link.select([512])
    with pytest.raises(InvalidRequestError, match="route target"):
        link.route(0, [0], [0], to="scope")
    with pytest.raises(SafetyError, match="nothing was sent"):
        link.set_gate(0, [0], 6.0)
    with pytest.raises(SafetyError):
        link.write_verify([0], 1e-5, 2e-5, WriteVerifyParams(reset_max=5.5))
    with pytest.raises(InvalidRequestError, match="repeat"):
        link.write_verify([1, 1], 1e-5, 2e-5, WriteVerifyParams())
    with pytest.raises(InvalidRequestError, match="DAC"):
        link.mvm(0, np.full((1, 16), 200))
    assert link.round_trips == sent


def test_params_reject_nonsense() -> None:
    with pytest.raises(InvalidRequestError, match="max_pulses"):
        WriteVerifyParams(max_pulses=0)
    with pytest.raises(InvalidRequestError, match="gate_start"):
        WriteVerifyParams(gate_start=2.0, gate_max=1.5)
    with pytest.raises(InvalidRequestError, match="set_width"):
        WriteVerifyParams(set_width=-1e-6)


def test_frames_are_logged_at_debug(link: FpgaLink, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="labctl.instrument.fpga"):
        link.identify()
    tx = encode_frame(Kind.REQUEST, Command.IDENTIFY, 0, b"").hex(" ")
    assert any(tx in r.getMessage() for r in caplog.records)
    assert any(r.getMessage().startswith("RX") for r in caplog.records)
