"""Emulated FPGA firmware: answers link frames (drivers/fpga/SPEC.md) on a SimulatedBench.

SELECT, ROUTE, SET_GATE and SAFE_STATE set the bench's switch matrix, through which the
emulated SMU and pulse generator reach the array; READ, MVM and WRITE_VERIFY use the board's
own ADCs, DACs and pulse drivers on the array and leave the switch matrix as it was.
Each ``Connection`` (a serial port, a TCP connection) has its own frame parser and keeps the
reply to its last executed request, so a retried request (same seq, command and CRC) is
answered again without executing twice, and never with another connection's reply.
"""

from __future__ import annotations

import logging
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mock_hw.bench import SimulatedBench
from mock_hw.errors import SimulationError
from mock_hw.fpga import wire
from mock_hw.fpga.writeverify import IGVVA, ISPVA, RESULT_DTYPE, Program, write_verify

log = logging.getLogger("mock_hw.fpga")

IDENTIFY, SELECT, ROUTE, SET_GATE, READ, MVM, WRITE_VERIFY, SAFE_STATE = range(1, 9)
BAD_CRC, BAD_VERSION, UNKNOWN_COMMAND, BAD_LENGTH, BAD_ARGUMENT, LIMIT, INTERNAL = range(1, 8)
_CAPABILITIES = 0x7F
_IDENTITY = struct.Struct("<BBBBHHHBBffffffII")
_ROUTE = struct.Struct("<HBBHH")
_GATE = struct.Struct("<HH")
_READ = struct.Struct("<BBHfI")
_MVM = struct.Struct("<HHHH")
_WV_BLOCK = struct.Struct("<BBBBHH15fI")
_COUNT = struct.Struct("<I")
_WV_REPLY = struct.Struct("<If")
_CELL = np.dtype([("cell", "<u4"), ("lo_ns", "<u4"), ("hi_ns", "<u4"), ("gate_start", "<f4")])
_FLAG_CONFIRM, _FLAG_WAIT = 0x01, 0x02
_FLAGS_DEFINED = _FLAG_CONFIRM | _FLAG_WAIT


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


def nak_frame(req: wire.Request, code: int, message: str) -> bytes:
    """The NAK answering ``req`` with error ``code``."""
    return wire.reply_frame(wire.NAK, req.command, req.seq,
                            struct.pack("<H", code) + message.encode())


@dataclass(frozen=True)
class _Cached:
    """The reply sent to the last request a connection processed, keyed by that request."""

    seq: int
    command: int
    crc: int
    reply: bytes

    def answers(self, req: wire.Request) -> bool:
        """Whether ``req`` is a retry of the cached request (SPEC.md section 3)."""
        return (self.seq, self.command, self.crc) == (req.seq, req.command, req.crc)


class Connection:
    """One link to the firmware: its own frame parser and its own reply cache.

    Call it with the bytes received (``b''`` when the line is silent: time passed) and the
    time of arrival; it returns the bytes to send back.
    """

    def __init__(self, firmware: FpgaFirmware) -> None:
        self.firmware = firmware
        self._parser = wire.FrameParser(firmware.config.max_payload)
        self._cache: _Cached | None = None

    def __call__(self, data: bytes, now: float | None = None) -> bytes:
        """Consume received bytes (any chunking); return the reply bytes to send."""
        when = self.firmware.clock() if now is None else now
        return b"".join(self.respond(r) for r in self._parser.feed(data, when))

    def deadline(self) -> float | None:
        """When a partial frame held will be dropped (firmware clock); None if none is held."""
        return self._parser.deadline()

    def respond(self, req: wire.Request) -> bytes:
        """The reply frame to one received frame (b'' for frames that are not requests)."""
        if req.kind != wire.REQUEST:
            return b""
        refusal = self._framing_refusal(req)
        if refusal is not None:
            return refusal
        if self._cache is not None and self._cache.answers(req):
            self.firmware.replays += 1
            return self._cache.reply
        reply = self.firmware.execute(req)
        self._cache = (None if req.command == IDENTIFY
                       else _Cached(req.seq, req.command, req.crc, reply))
        return reply

    def _framing_refusal(self, req: wire.Request) -> bytes | None:
        """The NAK of a request refused before processing (never cached), or None if intact."""
        if req.status is wire.Status.OVERSIZED:
            return nak_frame(req, BAD_LENGTH, f"payload exceeds max_payload "
                                              f"{self.firmware.config.max_payload} bytes")
        if req.status is wire.Status.CUT:
            return nak_frame(req, BAD_CRC, "frame cut off by a silent line; retransmit")
        if req.status is wire.Status.DAMAGED:
            return nak_frame(req, BAD_CRC, "frame CRC mismatch; retransmit")
        if req.version != wire.PROTOCOL:
            return nak_frame(req, BAD_VERSION,
                             f"protocol {req.version} unsupported, use {wire.PROTOCOL}")
        return None


class FpgaFirmware:
    """The board's firmware acting on one shared simulated bench.

    ``clock`` (s, monotonic) times the partial-frame timeout of connections fed without an
    explicit time of arrival.
    """

    def __init__(self, bench: SimulatedBench, config: FirmwareConfig | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bench = bench
        self.array = bench.array
        self.config = config or FirmwareConfig()
        self.clock = clock
        self.executed: Counter[int] = Counter()
        """Requests processed, by command code (refused ones included, cache replays not)."""
        self.replays = 0
        """Requests answered from a reply cache (retries), over all connections."""
        self._handlers: dict[int, Callable[[bytes], bytes]] = {
            IDENTIFY: self._identify, SELECT: self._select, ROUTE: self._route,
            SET_GATE: self._set_gate, READ: self._read, MVM: self._mvm,
            WRITE_VERIFY: self._write_verify, SAFE_STATE: self._safe_state}
        self._default = Connection(self)

    # ----------------------------------------------------------------- byte streams
    def handle(self, data: bytes, now: float | None = None) -> bytes:
        """Consume received bytes on the default connection; return the reply bytes to send."""
        return self._default(data, now)

    def stream(self) -> Connection:
        """A new connection (own frame parser and reply cache) on this firmware."""
        return Connection(self)

    def execute(self, req: wire.Request) -> bytes:
        """Run one intact request of the current protocol; its ACK, or the NAK refusing it."""
        handler = self._handlers.get(req.command)
        try:
            if handler is None:
                raise NakError(UNKNOWN_COMMAND,
                               f"command 0x{req.command:02X} is not implemented")
            reply = wire.reply_frame(wire.ACK, req.command, req.seq, handler(req.payload))
        except NakError as err:
            reply = nak_frame(req, err.code, str(err))
        except SimulationError as err:
            reply = nak_frame(req, BAD_ARGUMENT, str(err))
        self.executed[req.command] += 1
        return reply

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

    def _reply_fits(self, size: int) -> None:
        """Refuse, before anything runs, a request whose reply would exceed max_payload."""
        if size > self.config.max_payload:
            raise NakError(BAD_LENGTH, f"the reply would hold {size} bytes, beyond max_payload "
                                       f"{self.config.max_payload}: split the request")

    @staticmethod
    def _reserved(where: str, value: int) -> None:
        if value:
            raise NakError(BAD_ARGUMENT, f"reserved field at {where} is {value}, must be 0")

    @staticmethod
    def _distinct(name: str, idx: NDArray) -> None:
        ordered = np.sort(idx)  # several times faster than np.unique on a frame's cells
        if (ordered[1:] == ordered[:-1]).any():
            raise NakError(BAD_ARGUMENT, f"{name}s repeat: list each {name} once")

    def _in_range(self, name: str, idx: NDArray, stop: int) -> NDArray[np.int64]:
        idx = idx.astype(np.int64)
        if idx.size and idx.max() >= stop:
            raise NakError(BAD_ARGUMENT, f"{name} {int(idx.max())} is outside 0..{stop - 1}")
        return idx

    def _indices(self, name: str, idx: NDArray, stop: int) -> NDArray[np.int64]:
        """Indices within 0..stop-1 that are all distinct (SPEC.md section 4)."""
        checked = self._in_range(name, idx, stop)
        self._distinct(name, checked)
        return checked

    def _volts(self, name: str, volts: NDArray | float, low: float = 0.0) -> None:
        v = np.asarray(volts, dtype=np.float64)
        vmax = self.array.model.v_abs_max
        if v.size and not (np.all(np.isfinite(v)) and v.min() >= low and v.max() <= vmax):
            raise NakError(LIMIT, f"{name} outside {low}..{vmax} V")

    def _tile(self, tile: int) -> int:
        if tile >= self.array.model.tiles:
            raise NakError(BAD_ARGUMENT,
                           f"tile {tile} is outside 0..{self.array.model.tiles - 1}")
        return tile

    # ----------------------------------------------------------------- commands
    def _identify(self, payload: bytes) -> bytes:
        self._exact(payload, 0)
        c, m = self.config, self.array.model
        name = c.name.encode("ascii")
        return _IDENTITY.pack(*c.firmware, wire.PROTOCOL, m.tiles, m.rows, m.cols, c.adc_bits,
                              c.dac_bits, c.read_full_scale, c.mvm_full_scale, c.dac_full_scale,
                              m.v_abs_max, m.width_min, m.width_max, _CAPABILITIES,
                              c.max_payload) + bytes([len(name)]) + name

    def _select(self, payload: bytes) -> bytes:
        (count,) = self._fields(payload, _COUNT)
        self._exact(payload, _COUNT.size + 4 * count)
        self.bench.select(self._indices("cell", self._array(payload, _COUNT.size, "<u4", count),
                                        self.array.n_cells))
        return b""

    def _route(self, payload: bytes) -> bytes:
        tile, route, reserved, n_bl, n_sl = self._fields(payload, _ROUTE)
        self._exact(payload, _ROUTE.size + 2 * (n_bl + n_sl))
        self._reserved("ROUTE offset 3", reserved)
        if route > 3:
            raise NakError(BAD_ARGUMENT, f"route {route} is unknown (0..3)")
        m = self.array.model
        bl = self._indices("bit line", self._array(payload, _ROUTE.size, "<u2", n_bl), m.cols)
        sl = self._indices("source line", self._array(payload, _ROUTE.size + 2 * n_bl, "<u2",
                                                      n_sl), m.rows)
        t = self._tile(tile)
        self.bench.bl_route[t, bl] = route
        self.bench.sl_route[t, sl] = route
        return b""

    def _set_gate(self, payload: bytes) -> bytes:
        tile, count = self._fields(payload, _GATE)
        self._exact(payload, _GATE.size + 6 * count)
        rows = self._indices("row", self._array(payload, _GATE.size, "<u2", count),
                             self.array.model.rows)
        volts = self._array(payload, _GATE.size + 2 * count, "<f4", count).astype(np.float64)
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

    def _read_cells(self, mode: int, tile: int, count: int, payload: bytes
                    ) -> NDArray[np.int64]:
        """Flat indices of the cells a READ request reads, in reply order."""
        m = self.array.model
        if mode == 0:
            if tile:
                raise NakError(BAD_ARGUMENT, f"tile is {tile}, must be 0 in mode 0")
            self._reply_fits(_COUNT.size + 2 * count)
            return self._indices("cell", self._array(payload, _READ.size, "<u4", count),
                                 self.array.n_cells)
        if mode == 1:
            self._reply_fits(_COUNT.size + 2 * count * m.cols)
            rows = self._indices("row", self._array(payload, _READ.size, "<u4", count), m.rows)
        else:
            self._reply_fits(_COUNT.size + 2 * m.rows * m.cols)
            rows = np.arange(m.rows)
        t = self._tile(tile)
        return ((t * m.rows + rows[:, None]) * m.cols + np.arange(m.cols)).ravel()

    def _read(self, payload: bytes) -> bytes:
        mode, reserved, tile, v_read, count = self._fields(payload, _READ)
        self._reserved("READ offset 1", reserved)
        if mode > 2:
            raise NakError(BAD_ARGUMENT, f"read mode {mode} is unknown (0..2)")
        if mode == 2 and count:
            raise NakError(BAD_ARGUMENT, f"count is {count}, must be 0 in mode 2")
        self._exact(payload, _READ.size + 4 * count)
        m = self.array.model
        if not 0 < v_read <= m.v_abs_max:
            raise NakError(LIMIT, f"read voltage {v_read} V outside (0, {m.v_abs_max}] V")
        cells = self._read_cells(mode, tile, count, payload)
        codes = self._adc(self.array.read_current(cells, v_read), self.config.read_full_scale)
        rows_touched = np.unique(cells // m.cols).size
        self.array.advance(max(0, rows_touched - 1) * m.read_time)
        return _COUNT.pack(codes.size) + codes.tobytes()

    def _mvm(self, payload: bytes) -> bytes:
        tile, batch, n_pairs, reserved = self._fields(payload, _MVM)
        m, c = self.array.model, self.config
        self._exact(payload, _MVM.size + 2 * batch * m.rows + 4 * n_pairs)
        self._reserved("MVM offset 6", reserved)
        if batch < 1:
            raise NakError(BAD_ARGUMENT, "MVM batch must hold at least one vector")
        self._reply_fits(4 + 2 * batch * (n_pairs or m.cols))
        top = 2 ** (c.dac_bits - 1) - 1
        codes = self._array(payload, _MVM.size, "<i2", batch * m.rows).reshape(batch, m.rows)
        if np.abs(codes.astype(np.int32)).max() > top:
            raise NakError(BAD_ARGUMENT, f"DAC codes must lie within +-{top}")
        pairs = self._in_range("pair column", self._array(
            payload, _MVM.size + 2 * batch * m.rows, "<u2", 2 * n_pairs), m.cols).reshape(-1, 2)
        if np.any(pairs[:, 0] == pairs[:, 1]):
            raise NakError(BAD_ARGUMENT, "a column pair subtracts a column from itself")
        currents = self.array.mvm(codes * (c.dac_full_scale / top), self._tile(tile))
        if n_pairs:
            currents = currents[:, pairs[:, 0]] - currents[:, pairs[:, 1]]
        out = self._adc(currents, c.mvm_full_scale)
        return struct.pack("<HH", *out.shape) + out.tobytes()

    def _program(self, payload: bytes) -> Program:
        scheme, flags, reads, res3, max_pulses, res6, *volts, res68 = self._fields(
            payload, _WV_BLOCK)
        self._reserved("WRITE_VERIFY offset 3", res3)
        self._reserved("WRITE_VERIFY offset 6", res6)
        self._reserved("WRITE_VERIFY offset 68", res68)
        if flags & ~_FLAGS_DEFINED:
            raise NakError(BAD_ARGUMENT, f"flags 0x{flags:02X} set undefined bits (2-7)")
        p = Program(scheme, bool(flags & _FLAG_CONFIRM), bool(flags & _FLAG_WAIT), reads,
                    max_pulses, *volts)
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
        if p.wait and not p.wait_verify:
            raise NakError(BAD_ARGUMENT, "wait must be 0 when flag bit 1 (wait-then-verify) "
                                         "is clear")
        return p

    def _write_verify(self, payload: bytes) -> bytes:
        p = self._program(payload)
        if len(payload) < _WV_BLOCK.size + _COUNT.size:
            raise NakError(BAD_LENGTH, "WRITE_VERIFY payload lacks its cell count")
        (count,) = _COUNT.unpack_from(payload, _WV_BLOCK.size)
        self._exact(payload, _WV_BLOCK.size + _COUNT.size + _CELL.itemsize * count)
        self._reply_fits(_WV_REPLY.size + RESULT_DTYPE.itemsize * count)
        rec = self._array(payload, _WV_BLOCK.size + _COUNT.size, _CELL, count)
        cells = self._indices("cell", rec["cell"], self.array.n_cells)
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
        return _WV_REPLY.pack(count, batch_time) + results.tobytes()
