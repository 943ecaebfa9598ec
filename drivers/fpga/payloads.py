"""Host-side payload layouts of every command (SPEC.md section 4), packed little-endian.

Each ``*_request`` function returns the request payload; each ``parse_*`` function checks a
reply payload's length against its layout and returns Python or numpy values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.fpga.codec import VERSION
from drivers.fpga.errors import ProtocolError
from drivers.fpga.writeverify import CELL_RESULT_DTYPE, CellResults, Scheme, WriteVerifyParams

_IDENTITY = struct.Struct("<BBBBHHHBBffffffII")
_ROUTE = struct.Struct("<HBxHH")
_GATE = struct.Struct("<HH")
_READ = struct.Struct("<BxHfI")
_MVM = struct.Struct("<HHHxx")
_WV_PARAMS = struct.Struct("<BBBxHxx15f4x")
_WV_REPLY = struct.Struct("<If")
_COUNT = struct.Struct("<I")
_BATCH = struct.Struct("<HH")
_NAK = struct.Struct("<H")

WV_CELL_DTYPE = np.dtype([("cell", "<u4"), ("lo_ns", "<u4"), ("hi_ns", "<u4"),
                          ("gate_start", "<f4")])
"""Wire layout of one WRITE_VERIFY cell record (16 bytes)."""
WV_RESULT_DTYPE = np.dtype([("cell", "<u4"), ("success", "u1"), ("pulses", "<u2"),
                            ("set_pulses", "<u2"), ("reset_pulses", "<u2"),
                            ("reversals", "<u2"), ("g_final", "<f4"), ("energy", "<f4"),
                            ("time", "<f4")])
"""Wire layout of one WRITE_VERIFY result record (25 bytes, packed)."""
WV_PARAMS_SIZE = _WV_PARAMS.size
_SCHEME_CODE = {Scheme.ISPVA: 0, Scheme.IGVVA: 1}
_FLAG_CONFIRM, _FLAG_WAIT = 0x01, 0x02


class ReadMode:
    """READ request modes."""

    CELLS = 0
    ROWS = 1
    TILE = 2


@dataclass(frozen=True)
class Identity:
    """What IDENTIFY reports: firmware, geometry, converters, limits and capabilities."""

    firmware: tuple[int, int, int]
    protocol_version: int
    tiles: int
    rows: int
    cols: int
    adc_bits: int
    dac_bits: int
    read_full_scale: float
    """ADC full scale of a cell read (A)."""
    mvm_full_scale: float
    """ADC full scale of an MVM output (A)."""
    dac_full_scale: float
    """Row voltage at the largest DAC code (V)."""
    v_max: float
    """Largest magnitude the board applies to any terminal (V)."""
    width_min: float
    """Shortest pulse width the board applies (s)."""
    width_max: float
    """Longest pulse width the board applies (s)."""
    capabilities: int
    max_payload: int
    name: str

    @property
    def n_cells(self) -> int:
        return self.tiles * self.rows * self.cols

    @property
    def dac_max_code(self) -> int:
        return 2 ** (self.dac_bits - 1) - 1

    def read_lsb(self) -> float:
        """Current of one read-ADC code (A)."""
        return self.read_full_scale / 2 ** (self.adc_bits - 1)

    def mvm_lsb(self) -> float:
        """Current of one MVM-ADC code (A)."""
        return self.mvm_full_scale / 2 ** (self.adc_bits - 1)


def _expect(payload: bytes, size: int, what: str) -> None:
    if len(payload) != size:
        raise ProtocolError(f"{what} reply holds {len(payload)} bytes, the layout needs {size}: "
                            f"check that the firmware implements link protocol version {VERSION}")


def parse_identity(payload: bytes) -> Identity:
    """Decode an IDENTIFY reply; a board of another protocol version is named as such.

    ``protocol_version`` sits at offset 3 in every version, so it is checked before the
    layout, which differs between versions.
    """
    if len(payload) > 3 and payload[3] != VERSION:
        raise ProtocolError(f"board speaks link protocol {payload[3]}, this driver {VERSION}: "
                            f"update the firmware or the driver")
    head = _IDENTITY.size
    if len(payload) < head + 1 or len(payload) != head + 1 + payload[head]:
        raise ProtocolError(f"IDENTIFY reply of {len(payload)} bytes is malformed")
    v = _IDENTITY.unpack_from(payload)
    name = payload[head + 1:].decode("ascii", errors="replace")
    return Identity((v[0], v[1], v[2]), *v[3:], name)


def parse_nak(payload: bytes) -> tuple[int, str]:
    """Error code and message of a NAK."""
    if len(payload) < _NAK.size:
        return 0, "NAK without an error code"
    return _NAK.unpack_from(payload)[0], payload[_NAK.size:].decode("utf-8", errors="replace")


def select_request(cells: NDArray[np.int64]) -> bytes:
    return _COUNT.pack(cells.size) + cells.astype("<u4").tobytes()


def route_request(tile: int, route: int, bit_lines: NDArray[np.int64],
                  source_lines: NDArray[np.int64]) -> bytes:
    return (_ROUTE.pack(tile, route, bit_lines.size, source_lines.size)
            + bit_lines.astype("<u2").tobytes() + source_lines.astype("<u2").tobytes())


def gate_request(tile: int, rows: NDArray[np.int64], volts: NDArray[np.float64]) -> bytes:
    return _GATE.pack(tile, rows.size) + rows.astype("<u2").tobytes() + volts.astype(
        "<f4").tobytes()


def read_request(mode: int, tile: int, v_read: float, indices: NDArray[np.int64]) -> bytes:
    return _READ.pack(mode, tile, v_read, indices.size) + indices.astype("<u4").tobytes()


def parse_codes(payload: bytes, expected: int) -> NDArray[np.int16]:
    """ADC codes of a READ reply."""
    _expect(payload, _COUNT.size + 2 * expected, "READ")
    if _COUNT.unpack_from(payload)[0] != expected:
        raise ProtocolError(f"READ reply announces {_COUNT.unpack_from(payload)[0]} codes, "
                            f"{expected} were requested")
    return np.frombuffer(payload, "<i2", offset=_COUNT.size).astype(np.int16)


def mvm_request(tile: int, codes: NDArray[np.int64], pairs: NDArray[np.int64]) -> bytes:
    return (_MVM.pack(tile, codes.shape[0], pairs.shape[0]) + codes.astype("<i2").tobytes()
            + pairs.astype("<u2").tobytes())


def parse_mvm(payload: bytes, batch: int, outputs: int) -> NDArray[np.int16]:
    """(batch, outputs) ADC codes of an MVM reply."""
    _expect(payload, _BATCH.size + 2 * batch * outputs, "MVM")
    if _BATCH.unpack_from(payload) != (batch, outputs):
        raise ProtocolError(f"MVM reply shape {_BATCH.unpack_from(payload)} differs from the "
                            f"request's ({batch}, {outputs})")
    return np.frombuffer(payload, "<i2", offset=_BATCH.size).reshape(batch, outputs).astype(
        np.int16)


def write_verify_request(params: WriteVerifyParams, cells: NDArray[np.int64],
                         lo: NDArray[np.float64], hi: NDArray[np.float64],
                         gate_start: NDArray[np.float64]) -> bytes:
    """Parameter block, count and cell records; bands go on the wire in nanosiemens."""
    p = params
    flags = (_FLAG_CONFIRM if p.confirm else 0) | (_FLAG_WAIT if p.wait > 0 else 0)
    block = _WV_PARAMS.pack(
        _SCHEME_CODE[p.scheme], flags, p.reads, p.max_pulses, p.v_read, p.gate_start,
        p.gate_step, p.gate_max, p.v_set, p.set_start, p.set_step, p.set_max, p.reset_gate,
        p.reset_start, p.reset_step, p.reset_max, p.set_width, p.reset_width, p.wait)
    rec = np.empty(cells.size, dtype=WV_CELL_DTYPE)
    rec["cell"] = cells
    rec["lo_ns"] = np.rint(lo * 1e9)
    rec["hi_ns"] = np.rint(hi * 1e9)
    rec["gate_start"] = gate_start
    return block + _COUNT.pack(cells.size) + rec.tobytes()


def parse_write_verify(payload: bytes, expected: int) -> tuple[CellResults, float]:
    """Result records (as CELL_RESULT_DTYPE) and the batch's bench time (s)."""
    _expect(payload, _WV_REPLY.size + WV_RESULT_DTYPE.itemsize * expected, "WRITE_VERIFY")
    count, batch_time = _WV_REPLY.unpack_from(payload)
    if count != expected:
        raise ProtocolError(f"WRITE_VERIFY reply holds {count} results for {expected} cells")
    wire = np.frombuffer(payload, WV_RESULT_DTYPE, offset=_WV_REPLY.size)
    out = np.empty(count, dtype=CELL_RESULT_DTYPE)
    for name in CELL_RESULT_DTYPE.names or ():
        out[name] = wire[name]
    return out, float(batch_time)
