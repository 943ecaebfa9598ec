"""Emulated FPGA firmware: answers link frames (drivers/fpga/SPEC.md) on a SimulatedBench.

SELECT, ROUTE, SET_GATE and SAFE_STATE set the bench's switch matrix, through which the
emulated SMU and pulse generator reach the array; READ, MVM and WRITE_VERIFY use the board's
own ADCs, DACs and pulse drivers on the array and leave the switch matrix as it was.
The reply to the last executed request is kept, so a retried request (same seq, command and
CRC) is answered again without executing twice.
"""

from __future__ import annotations

import logging
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mock_hw.bench import SimulatedBench
from mock_hw.errors import SimulationError
from mock_hw.fpga import wire
from mock_hw.fpga.writeverify import IGVVA, ISPVA, Program, write_verify

log = logging.getLogger("mock_hw.fpga")

IDENTIFY, SELECT, ROUTE, SET_GATE, READ, MVM, WRITE_VERIFY, SAFE_STATE = range(1, 9)
BAD_CRC, BAD_VERSION, UNKNOWN_COMMAND, BAD_LENGTH, BAD_ARGUMENT, LIMIT, INTERNAL = range(1, 8)
_CAPABILITIES = 0x7F
_WV_BLOCK = struct.Struct("<BBBxHxx15f4x")
_CELL = np.dtype([("cell", "<u4"), ("lo_ns", "<u4"), ("hi_ns", "<u4"), ("gate_start", "<f4")])


@dataclass(frozen=True)
class FirmwareConfig:
    """What the emulated board reports and how its converters quantize."""

    adc_bits: int = 14
    dac_bits: int = 8
    read_full_scale: float = 50e-6
    """Cell-read ADC full scale (A): 250 uS at a 0.2 V read."""
    mvm_full_scale: float = 4e-3
    """MVM column ADC full scale (A): 128 rows x 0.2 V x 150 uS."""
    dac_full_scale: float = 0.2
    """MVM row voltage at the largest DAC code (V)."""
    max_payload: int = 1 << 20
    firmware: tuple[int, int, int] = (1, 0, 0)
    name: str = "labctl-mock-fpga"


class NakError(Exception):
    """A request the firmware refuses; becomes a NAK frame."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class FpgaFirmware:
    """The board's firmware acting on one shared simulated bench."""

    def __init__(self, bench: SimulatedBench, config: FirmwareConfig | None = None) -> None:
        self.bench = bench
        self.array = bench.array
        self.config = config or FirmwareConfig()
        self.executed: Counter[int] = Counter()
        """Requests processed, by command code (refused ones included, cache replays not)."""
        self.replays = 0
        """Requests answered from the reply cache (retries)."""
        self._last: tuple[int, int, int, bytes] | None = None
        self._parser = wire.FrameParser(self.config.max_payload)
        self._handlers: dict[int, Callable[[bytes], bytes]] = {
            IDENTIFY: self._identify, SELECT: self._select, ROUTE: self._route,
            SET_GATE: self._set_gate, READ: self._read, MVM: self._mvm,
            WRITE_VERIFY: self._write_verify, SAFE_STATE: self._safe_state}

    # ----------------------------------------------------------------- byte streams
    def handle(self, data: bytes) -> bytes:
        """Consume received bytes (any chunking); return the reply bytes to send."""
        return b"".join(self.respond(r) for r in self._parser.feed(data))

    def stream(self) -> Callable[[bytes], bytes]:
        """A byte handler with its own frame parser (one per connection) on this firmware."""
        parser = wire.FrameParser(self.config.max_payload)
        return lambda data: b"".join(self.respond(r) for r in parser.feed(data))

    def respond(self, req: wire.Request) -> bytes:
        """The reply frame to one received frame (b'' for frames that are not requests)."""
        if req.kind != wire.REQUEST:
            return b""
        if not req.intact:
            return self._nak(req, BAD_CRC, "frame CRC mismatch; retransmit")
        if req.version != wire.PROTOCOL:
            return self._nak(req, BAD_VERSION, f"protocol {req.version} unsupported, use 1")
        key = (req.seq, req.command, req.crc)
        if self._last is not None and self._last[:3] == key:
            self.replays += 1
            return self._last[3]
        handler = self._handlers.get(req.command)
        try:
            if handler is None:
                raise NakError(UNKNOWN_COMMAND,
                               f"command 0x{req.command:02X} is not implemented")
            reply = wire.reply_frame(wire.ACK, req.command, req.seq, handler(req.payload))
        except NakError as err:
            reply = self._nak(req, err.code, str(err))
        except SimulationError as err:
            reply = self._nak(req, BAD_ARGUMENT, str(err))
        self.executed[req.command] += 1
        self._last = None if req.command == IDENTIFY else (*key, reply)
        return reply

    @staticmethod
    def _nak(req: wire.Request, code: int, message: str) -> bytes:
        return wire.reply_frame(wire.NAK, req.command, req.seq,
                                struct.pack("<H", code) + message.encode())

    # ----------------------------------------------------------------- argument checks
    @staticmethod
    def _fields(payload: bytes, fmt: struct.Struct) -> tuple:
        if len(payload) < fmt.size:
            raise NakError(BAD_LENGTH, f"payload of {len(payload)} bytes is shorter than its "
                                  f"{fmt.size}-byte header")
        return fmt.unpack_from(payload)

    @staticmethod
    def _array(payload: bytes, offset: int, dtype: str | np.dtype, count: int
               ) -> NDArray:
        dt = np.dtype(dtype)
        if len(payload) < offset + count * dt.itemsize:
            raise NakError(BAD_LENGTH, f"payload of {len(payload)} bytes is too short for "
                                  f"{count} items")
        return np.frombuffer(payload, dt, count, offset)

    @staticmethod
    def _exact(payload: bytes, size: int) -> None:
        if len(payload) != size:
            raise NakError(BAD_LENGTH,
                           f"payload is {len(payload)} bytes, the layout needs {size}")

    def _in_range(self, name: str, idx: NDArray, stop: int) -> NDArray[np.int64]:
        idx = idx.astype(np.int64)
        if idx.size and idx.max() >= stop:
            raise NakError(BAD_ARGUMENT, f"{name} {int(idx.max())} is outside 0..{stop - 1}")
        return idx

    def _volts(self, name: str, volts: NDArray | float, low: float = 0.0) -> None:
        v = np.asarray(volts, dtype=np.float64)
        vmax = self.array.model.v_abs_max
        if v.size and not (np.all(np.isfinite(v)) and v.min() >= low and v.max() <= vmax):
            raise NakError(LIMIT, f"{name} outside {low}..{vmax} V")

    # ----------------------------------------------------------------- commands
    def _identify(self, payload: bytes) -> bytes:
        self._exact(payload, 0)
        c, m = self.config, self.array.model
        name = c.name.encode("ascii")
        return struct.pack("<BBBBHHHBBffffII", *c.firmware, wire.PROTOCOL, m.tiles, m.rows,
                           m.cols, c.adc_bits, c.dac_bits, c.read_full_scale, c.mvm_full_scale,
                           c.dac_full_scale, m.v_abs_max, _CAPABILITIES, c.max_payload
                           ) + bytes([len(name)]) + name

    def _select(self, payload: bytes) -> bytes:
        (count,) = self._fields(payload, struct.Struct("<I"))
        self._exact(payload, 4 + 4 * count)
        self.bench.select(self._in_range("cell", self._array(payload, 4, "<u4", count),
                                         self.array.n_cells))
        return b""

    def _tile(self, tile: int) -> int:
        if tile >= self.array.model.tiles:
            raise NakError(BAD_ARGUMENT,
                           f"tile {tile} is outside 0..{self.array.model.tiles - 1}")
        return tile

    def _route(self, payload: bytes) -> bytes:
        tile, route, n_bl, n_sl = self._fields(payload, struct.Struct("<HBxHH"))
        self._exact(payload, 8 + 2 * (n_bl + n_sl))
        if route > 3:
            raise NakError(BAD_ARGUMENT, f"route {route} is unknown (0..3)")
        m = self.array.model
        bl = self._in_range("bit line", self._array(payload, 8, "<u2", n_bl), m.cols)
        sl = self._in_range("source line", self._array(payload, 8 + 2 * n_bl, "<u2", n_sl),
                            m.rows)
        t = self._tile(tile)
        self.bench.bl_route[t, bl] = route
        self.bench.sl_route[t, sl] = route
        return b""

    def _set_gate(self, payload: bytes) -> bytes:
        tile, count = self._fields(payload, struct.Struct("<HH"))
        self._exact(payload, 4 + 6 * count)
        rows = self._in_range("row", self._array(payload, 4, "<u2", count), self.array.model.rows)
        volts = self._array(payload, 4 + 2 * count, "<f4", count).astype(np.float64)
        self._volts("gate voltage", volts)
        self.bench.gate[self._tile(tile), rows] = volts
        return b""

    def _safe_state(self, payload: bytes) -> bytes:
        self._exact(payload, 0)
        self.bench.safe_state()
        return b""

    def _adc(self, currents: NDArray[np.float64], full_scale: float) -> NDArray[np.int16]:
        half = 2 ** (self.config.adc_bits - 1)
        codes = np.rint(currents * (half / full_scale))
        return np.minimum(np.maximum(codes, -half), half - 1).astype("<i2")

    def _read(self, payload: bytes) -> bytes:
        mode, tile, v_read, count = self._fields(payload, struct.Struct("<BxHfI"))
        self._exact(payload, 12 + (0 if mode == 2 else 4 * count))
        m = self.array.model
        if not 0 < v_read <= m.v_abs_max:
            raise NakError(LIMIT, f"read voltage {v_read} V outside (0, {m.v_abs_max}] V")
        if mode == 0:
            cells = self._in_range("cell", self._array(payload, 12, "<u4", count),
                                   self.array.n_cells)
        elif mode in (1, 2):
            t = self._tile(tile)
            rows = (np.arange(m.rows) if mode == 2 else
                    self._in_range("row", self._array(payload, 12, "<u4", count), m.rows))
            cells = ((t * m.rows + rows[:, None]) * m.cols + np.arange(m.cols)).ravel()
        else:
            raise NakError(BAD_ARGUMENT, f"read mode {mode} is unknown (0..2)")
        codes = self._adc(self.array.read_current(cells, v_read), self.config.read_full_scale)
        rows_touched = np.unique(cells // m.cols).size
        self.array.advance(max(0, rows_touched - 1) * m.read_time)
        return struct.pack("<I", codes.size) + codes.tobytes()

    def _mvm(self, payload: bytes) -> bytes:
        tile, batch, n_pairs = self._fields(payload, struct.Struct("<HHHxx"))
        m, c = self.array.model, self.config
        self._exact(payload, 8 + 2 * batch * m.rows + 4 * n_pairs)
        if batch < 1:
            raise NakError(BAD_ARGUMENT, "MVM batch must hold at least one vector")
        top = 2 ** (c.dac_bits - 1) - 1
        codes = self._array(payload, 8, "<i2", batch * m.rows).reshape(batch, m.rows)
        if np.abs(codes.astype(np.int32)).max() > top:
            raise NakError(BAD_ARGUMENT, f"DAC codes must lie within +-{top}")
        pairs = self._in_range("pair column", self._array(
            payload, 8 + 2 * batch * m.rows, "<u2", 2 * n_pairs), m.cols).reshape(-1, 2)
        currents = self.array.mvm(codes * (c.dac_full_scale / top), self._tile(tile))
        if n_pairs:
            currents = currents[:, pairs[:, 0]] - currents[:, pairs[:, 1]]
        out = self._adc(currents, c.mvm_full_scale)
        return struct.pack("<HH", *out.shape) + out.tobytes()

    def _program(self, payload: bytes) -> Program:
        v = self._fields(payload, _WV_BLOCK)
        scheme, flags, reads, max_pulses = v[:4]
        p = Program(scheme, bool(flags & 1), bool(flags & 2), reads, max_pulses, *v[4:])
        if scheme not in (ISPVA, IGVVA) or reads < 1 or max_pulses < 1:
            raise NakError(BAD_ARGUMENT, "scheme must be 0/1, reads and max_pulses at least 1")
        self._volts("write-verify voltage", np.array(p.volts()))
        if p.v_read <= 0:
            raise NakError(LIMIT, "read voltage must be above 0 V")
        m = self.array.model
        if not all(m.width_min <= w <= m.width_max for w in (p.set_width, p.reset_width)):
            raise NakError(LIMIT, f"pulse widths must lie in {m.width_min}..{m.width_max} s")
        if not (np.isfinite(p.wait) and p.wait >= 0):
            raise NakError(BAD_ARGUMENT, "wait must be a finite time >= 0 s")
        return p

    def _write_verify(self, payload: bytes) -> bytes:
        p = self._program(payload)
        (count,) = struct.unpack_from("<I", payload, _WV_BLOCK.size) if len(
            payload) >= _WV_BLOCK.size + 4 else (None,)
        if count is None:
            raise NakError(BAD_LENGTH, "WRITE_VERIFY payload lacks its cell count")
        self._exact(payload, _WV_BLOCK.size + 4 + _CELL.itemsize * count)
        rec = self._array(payload, _WV_BLOCK.size + 4, _CELL, count)
        cells = self._in_range("cell", rec["cell"], self.array.n_cells)
        if np.unique(cells).size != cells.size:
            raise NakError(BAD_ARGUMENT, "cells repeat within the batch")
        if np.any(rec["lo_ns"] > rec["hi_ns"]):
            raise NakError(BAD_ARGUMENT, "a band has lo above hi")
        gate0 = rec["gate_start"].astype(np.float64)
        gate0 = np.where(np.isnan(gate0), p.gate_start, gate0)
        self._volts("gate_start", gate0)

        lsb = self.config.read_full_scale / 2 ** (self.config.adc_bits - 1)

        def read(sel: NDArray[np.int64]) -> NDArray[np.float64]:
            total = np.zeros(sel.size)
            for _ in range(p.reads):
                total += self._adc(self.array.read_checked(sel, p.v_read),
                                   self.config.read_full_scale)
            return total / p.reads * lsb / p.v_read

        results, batch_time = write_verify(self.array, read, cells,
                                           rec["lo_ns"] * 1e-9, rec["hi_ns"] * 1e-9, gate0, p)
        log.debug("write-verify of %d cells: %d succeeded", count, int(results["success"].sum()))
        return struct.pack("<If", count, batch_time) + results.tobytes()
