"""``FpgaLink``: the host side of the FPGA link protocol (SPEC.md) over a pyserial-like port.

Every request that can put a voltage on the chip is checked against the bench's
``Interlock`` (the setup's limits) and against the board's own ratings before a byte is
written. One request is outstanding at a time. A request whose reply times out, arrives damaged, or
is refused with NAK BAD_CRC is sent again byte for byte - same sequence number - up to
``retries`` times; the firmware answers a repeated sequence number from its reply cache
without executing again, so a retry never applies a pulse twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.errors import SafetyError
from drivers.fpga import payloads as pl
from drivers.fpga.codec import (
    HOST_MAX_PAYLOAD,
    VERSION,
    Command,
    DamagedFrame,
    ErrorCode,
    Frame,
    FrameDecoder,
    Kind,
    OversizedFrame,
    encode_frame,
)
from drivers.fpga.errors import (
    CRCError,
    FirmwareError,
    InvalidRequestError,
    LinkError,
    LinkTimeout,
    NAKError,
    ProtocolError,
)
from drivers.fpga.writeverify import CellResults, WriteVerifyParams, empty_results
from drivers.safety import SOURCES, Interlock, Terminal

log = logging.getLogger("labctl.instrument.fpga")

ROUTES = {"ground": 0, "float": 1, "smu": 2, "pulse": 3}
"""Switch-matrix destinations of a line (ROUTE command codes)."""
_LONG_COMMANDS = {Command.READ, Command.MVM, Command.WRITE_VERIFY}
_LOG_BYTES = 64


class SerialPort(Protocol):
    """The part of ``serial.Serial`` the link uses."""

    timeout: float | None

    def write(self, data: bytes) -> int | None: ...

    def read(self, size: int = 1) -> bytes: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


def _hex(data: bytes) -> str:
    shown = data[:_LOG_BYTES].hex(" ")
    return shown if len(data) <= _LOG_BYTES else f"{shown} ... ({len(data)} bytes)"


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


class FpgaLink:
    """Driver of the FPGA board: addressing, switch matrix, fast reads, MVM, write-verify.

    ``interlock`` is the bench's safety object, shared with the SMU and the pulse generator:
    the link tells it what each route connects. ``timeout`` bounds the wait for a reply to a
    quick command (s); ``long_timeout`` that for READ, MVM and WRITE_VERIFY, which run on the
    board before it answers.
    """

    def __init__(self, port: SerialPort, interlock: Interlock, *, retries: int = 3,
                 timeout: float = 1.0, long_timeout: float = 120.0) -> None:
        if retries < 0:
            raise InvalidRequestError(f"retries={retries} is invalid: use 0 or more")
        self.port = port
        self.interlock = interlock
        self.retry_limit = retries
        self.timeout = timeout
        self.long_timeout = long_timeout
        self.retries = 0
        """Retransmissions so far (archive it with a run)."""
        self.round_trips = 0
        """Request frames sent so far, retransmissions included."""
        self.last_batch_time = 0.0
        """Bench time (s) the board reported for the last write_verify call."""
        self._seq = 0
        self._decoder = FrameDecoder()
        self._identity: pl.Identity | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_url(cls, url: str, interlock: Interlock, *, baudrate: int = 921_600,
                 retries: int = 3, timeout: float = 1.0, long_timeout: float = 120.0
                 ) -> FpgaLink:
        """Open a serial device path or a pyserial URL such as ``socket://127.0.0.1:5027``."""
        import serial

        try:
            port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout)
        except (serial.SerialException, ValueError) as err:
            raise LinkError(f"cannot open FPGA port {url!r}: {err}; check the device path or "
                            f"that the server behind the URL is running") from err
        return cls(port, interlock, retries=retries, timeout=timeout, long_timeout=long_timeout)

    def close(self) -> None:
        """Close the port."""
        self.port.close()

    def __enter__(self) -> FpgaLink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ----------------------------------------------------------------- transactions
    def _transact(self, command: Command, payload: bytes = b"") -> bytes:
        with self._lock:
            return self._exchange(command, payload)

    def _exchange(self, command: Command, payload: bytes) -> bytes:
        seq = self._seq
        self._seq = (seq + 1) & 0xFFFF
        frame = encode_frame(Kind.REQUEST, command, seq, payload)
        timeout = self.long_timeout if command in _LONG_COMMANDS else self.timeout
        if self.port.timeout != timeout:
            self.port.timeout = timeout
        error: LinkError | None = None
        for attempt in range(self.retry_limit + 1):
            if attempt:
                self.retries += 1
                log.warning("retrying %s seq %d (attempt %d) after: %s", command.name, seq,
                            attempt + 1, error)
            self._decoder.clear()
            if log.isEnabledFor(logging.DEBUG):
                log.debug("TX %s", _hex(frame))
            try:
                self.port.reset_input_buffer()
                self.port.write(frame)
                self.round_trips += 1
                reply = self._receive(command, seq, timeout)
            except (LinkTimeout, CRCError) as err:
                error = err
                continue
            except OSError as err:
                raise LinkError(f"FPGA port failed during {command.name}: {err}; check the "
                                f"cable, or that the server behind the URL still runs") from err
            if reply.kind == Kind.ACK:
                return reply.payload
            code, message = pl.parse_nak(reply.payload)
            try:
                name = ErrorCode(code).name
            except ValueError:
                name = "UNKNOWN"
            if code != ErrorCode.BAD_CRC:
                raise FirmwareError(code, name, message, command.name)
            error = NAKError(code, name, message, command.name)
        assert error is not None
        error.add_note(f"gave up after {self.retry_limit} retries of the same frame")
        raise error

    def _receive(self, command: Command, seq: int, timeout: float) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            data = self.port.read(self._decoder.wanted())
            if not data:
                raise LinkTimeout(f"FPGA board: no reply to {command.name} (seq {seq}) within "
                                  f"{timeout} s: check the port, the baud rate and that the "
                                  "board is powered")
            for frame in self._decoder.feed(data):
                if frame.kind == Kind.REQUEST:
                    continue
                if isinstance(frame, OversizedFrame):
                    self._discard_rest()
                    raise ProtocolError(
                        f"reply to {command.name} (seq {frame.seq}) announces {frame.length} "
                        f"bytes, beyond the driver's limit of {self._decoder.max_payload}: the "
                        "board breaks SPEC.md sections 1 and 5; update its firmware")
                if isinstance(frame, DamagedFrame):
                    raise CRCError(f"reply to {command.name} (seq {seq}) failed its CRC")
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("RX kind %d cmd %d seq %d payload %s", frame.kind, frame.command,
                              frame.seq, _hex(frame.payload))
                if frame.seq != seq or frame.command != command:
                    log.debug("discarding stale reply seq %d", frame.seq)
                    continue
                if frame.version != VERSION:
                    raise ProtocolError(f"board answered with protocol version {frame.version}, "
                                        f"this driver speaks {VERSION}: update one of them")
                return frame
            if time.monotonic() > deadline:
                raise LinkTimeout(f"no valid reply to {command.name} (seq {seq}) within "
                                  f"{timeout} s: the line carries garbage; check the baud rate")

    # ----------------------------------------------------------------- identity and checks
    def identify(self) -> pl.Identity:
        """Ask the board what it is; also starts a session (SPEC.md section 3)."""
        self._seq = 0
        self._identity = pl.parse_identity(self._transact(Command.IDENTIFY))
        if self._identity.protocol_version != VERSION:
            raise ProtocolError(f"board speaks link protocol {self._identity.protocol_version}, "
                                f"this driver {VERSION}: update the firmware or the driver")
        log.info("FPGA %s firmware %s", self._identity.name, self._identity.firmware)
        return self._identity

    @property
    def identity(self) -> pl.Identity:
        """The board's IDENTIFY answer (asked once, on first use)."""
        return self._identity or self.identify()

    def _discard_rest(self) -> None:
        """Read and drop the rest of an oversized reply, until it ends or the line is quiet."""
        while self._decoder.discarding and (rest := self.port.read(self._decoder.wanted())):
            self._decoder.feed(rest)

    def _payload_room(self) -> int:
        return min(self.identity.max_payload, HOST_MAX_PAYLOAD)

    def _indices(self, name: str, values: ArrayLike, stop: int, *, distinct: bool = False
                 ) -> NDArray[np.int64]:
        idx = np.atleast_1d(np.asarray(values))
        if idx.size and idx.dtype.kind not in "iu":
            raise InvalidRequestError(f"{name} must be integers, got {idx.dtype.name}")
        idx = idx.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= stop):
            bad = int(idx.min() if idx.min() < 0 else idx.max())
            raise InvalidRequestError(f"{name} index {bad} is outside 0..{stop - 1} "
                                      f"of the board's array")
        if distinct and _repeats(idx):
            raise InvalidRequestError(f"{name} indices repeat: list each {name} once")
        return idx

    def _check_tile(self, tile: int) -> None:
        self._indices("tile", tile, self.identity.tiles)

    def _check_drive(self, terminal: Terminal, what: str, volts: ArrayLike
                     ) -> NDArray[np.float64]:
        """Check voltages the board drives onto ``terminal``: the setup's limit, then the
        board's own rating (IDENTIFY ``v_max``)."""
        v = np.atleast_1d(np.asarray(volts, dtype=np.float64)).ravel()
        if not v.size:
            return v
        largest = float(np.abs(v).max()) if np.all(np.isfinite(v)) else float("nan")
        self.interlock.check_voltage(terminal, largest, what)
        self._check_rating(terminal, what, largest)
        return v

    def _check_rating(self, terminal: str, what: str, volts: float) -> None:
        vmax = self.identity.v_max
        if not abs(volts) <= vmax:
            raise SafetyError(terminal, volts, vmax,
                              f"{what} {volts:g} V exceeds the FPGA board's rating of "
                              f"{vmax:g} V (IDENTIFY v_max); nothing was sent")

    def _check_widths(self, what: str, widths: list[tuple[str, float]]) -> None:
        """Check pulse widths against the board's range (IDENTIFY width_min/width_max)."""
        ident = self.identity
        for name, seconds in widths:
            if not ident.width_min <= seconds <= ident.width_max:
                raise SafetyError("pulse_width", seconds,
                                  ident.width_max if seconds > ident.width_max
                                  else ident.width_min,
                                  f"{what} {name} {seconds:g} s is outside the FPGA board's "
                                  f"range {ident.width_min:g}-{ident.width_max:g} s; nothing "
                                  "was sent")

    # ----------------------------------------------------------------- switch matrix
    def select(self, cells: ArrayLike) -> None:
        """Address exactly ``cells`` (flat indices) for the SMU and the pulse generator."""
        idx = self._indices("cell", cells, self.identity.n_cells, distinct=True)
        if 4 * idx.size + 4 > self._payload_room():
            raise InvalidRequestError(f"selecting {idx.size} cells exceeds one frame; select "
                                      f"fewer cells")
        self._transact(Command.SELECT, pl.select_request(idx))

    def route(self, tile: int, bit_lines: ArrayLike, source_lines: ArrayLike, to: str) -> None:
        """Connect bit lines and source lines of ``tile`` to 'smu', 'pulse', 'ground', 'float'.

        Connecting lines to an instrument is refused if its present output level is beyond
        those lines' limit.
        """
        if to not in ROUTES:
            raise InvalidRequestError(f"route target {to!r} is unknown: use one of "
                                      f"{sorted(ROUTES)}")
        self._check_tile(tile)
        bl = self._indices("bit line", bit_lines, self.identity.cols, distinct=True)
        sl = self._indices("source line", source_lines, self.identity.rows, distinct=True)
        self.interlock.hold_route(tile, bl, sl, to)
        self._transact(Command.ROUTE, pl.route_request(tile, ROUTES[to], bl, sl))
        self.interlock.settle_route(tile, bl, sl, to)

    def set_gate(self, tile: int, rows: ArrayLike, volts: ArrayLike) -> None:
        """Set the word-line gate voltage (V) of ``rows`` of ``tile`` (one value or one each)."""
        self._check_tile(tile)
        r = self._indices("row", rows, self.identity.rows, distinct=True)
        v = self._check_drive("gate", "gate voltage", np.broadcast_to(volts, r.shape))
        if np.any(v < 0):
            raise InvalidRequestError("gate voltages must be >= 0 V")
        self._transact(Command.SET_GATE, pl.gate_request(tile, r, v))

    def safe_state(self) -> None:
        """Deselect all cells, ground every line and turn every gate off."""
        self._transact(Command.SAFE_STATE)
        self.interlock.settle_safe_state()

    # ----------------------------------------------------------------- reads and MVM
    def _check_v_read(self, v_read: float) -> float:
        self._check_drive("bit_line", "read voltage", v_read)
        if not v_read > 0:
            raise InvalidRequestError(f"v_read={v_read} must be above 0 V")
        return float(v_read)

    def read_cells(self, cells: ArrayLike, v_read: float) -> NDArray[np.float64]:
        """Currents (A) of ``cells`` read through the board ADC at ``v_read`` (V)."""
        idx = self._indices("cell", cells, self.identity.n_cells, distinct=True)
        v = self._check_v_read(v_read)
        per_frame = (self._payload_room() - 12) // 4
        codes = [pl.parse_codes(self._transact(Command.READ, pl.read_request(
            pl.ReadMode.CELLS, 0, v, idx[s])), idx[s].size) for s in _chunks(idx.size, per_frame)]
        return np.concatenate(codes or [np.zeros(0)]) * self.identity.read_lsb()

    def read_rows(self, tile: int, rows: ArrayLike, v_read: float) -> NDArray[np.float64]:
        """Currents (A) of every cell of ``rows`` of ``tile``, shape (len(rows), cols)."""
        self._check_tile(tile)
        r = self._indices("row", rows, self.identity.rows, distinct=True)
        v = self._check_v_read(v_read)
        cols = self.identity.cols
        per_frame = max(1, (self._payload_room() - 4) // (2 * cols))
        codes = [pl.parse_codes(self._transact(Command.READ, pl.read_request(
            pl.ReadMode.ROWS, tile, v, r[s])), r[s].size * cols) for s in _chunks(r.size,
                                                                                  per_frame)]
        return (np.concatenate(codes or [np.zeros(0)]) * self.identity.read_lsb()).reshape(
            r.size, cols)

    def read_array(self, tile: int, v_read: float) -> NDArray[np.float64]:
        """Currents (A) of the whole ``tile``, shape (rows, cols)."""
        ident = self.identity
        self._check_tile(tile)
        v = self._check_v_read(v_read)
        if 2 * ident.rows * ident.cols + 4 > self._payload_room():
            return self.read_rows(tile, np.arange(ident.rows), v)
        codes = pl.parse_codes(self._transact(Command.READ, pl.read_request(
            pl.ReadMode.TILE, tile, v, np.zeros(0, np.int64))), ident.rows * ident.cols)
        return (codes * ident.read_lsb()).reshape(ident.rows, ident.cols)

    def dac_codes(self, volts: ArrayLike) -> NDArray[np.int64]:
        """DAC codes nearest to row voltages ``volts`` (V) for :meth:`mvm`."""
        ident = self.identity
        codes = np.rint(np.asarray(volts, dtype=np.float64) / ident.dac_full_scale
                        * ident.dac_max_code).astype(np.int64)
        if codes.size and np.abs(codes).max() > ident.dac_max_code:
            raise InvalidRequestError(f"row voltages beyond the DAC full scale "
                                      f"{ident.dac_full_scale} V cannot be applied")
        return codes

    def mvm_codes(self, tile: int, dac_codes: ArrayLike,
                  pairs: ArrayLike | None = None) -> NDArray[np.int16]:
        """Raw ADC codes (batch, outputs) of products of DAC-code vectors with ``tile``.

        ``dac_codes`` has shape (batch, rows) or (rows,); ``pairs`` (P, 2) lists
        (positive, negative) columns whose difference the board returns instead of columns.
        """
        ident = self.identity
        self._check_tile(tile)
        x = np.asarray(dac_codes)
        x = x[None, :] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != ident.rows or x.dtype.kind not in "iu":
            raise InvalidRequestError(f"dac_codes must be integers of shape (batch, "
                                      f"{ident.rows}), got {x.dtype.name} {x.shape}")
        if x.size and np.abs(x).max() > ident.dac_max_code:
            raise InvalidRequestError(f"DAC codes must lie within +-{ident.dac_max_code}")
        if x.size:
            self._check_drive("source_line", "MVM row voltage", float(np.abs(x).max())
                              * ident.dac_full_scale / ident.dac_max_code)
        p = np.zeros((0, 2), np.int64) if pairs is None else np.asarray(pairs).reshape(-1, 2)
        p = self._indices("pair column", p, ident.cols).reshape(-1, 2)
        if np.any(p[:, 0] == p[:, 1]):
            raise InvalidRequestError("an MVM pair must join two different columns")
        outputs = p.shape[0] or ident.cols
        room = self._payload_room()
        per_frame = min(65535, (room - 8 - 4 * p.shape[0]) // (2 * ident.rows),
                        (room - 4) // (2 * outputs))
        if per_frame < 1:
            raise InvalidRequestError("too many column pairs for one frame")
        out = [pl.parse_mvm(self._transact(Command.MVM, pl.mvm_request(tile, x[s], p)),
                            x[s].shape[0], outputs) for s in _chunks(x.shape[0], per_frame)]
        return np.concatenate(out) if out else np.zeros((0, outputs), np.int16)

    def mvm(self, tile: int, dac_codes: ArrayLike,
            pairs: ArrayLike | None = None) -> NDArray[np.float64]:
        """Output currents (A) of :meth:`mvm_codes`, shape (batch, outputs)."""
        return self.mvm_codes(tile, dac_codes, pairs) * self.identity.mvm_lsb()

    # ----------------------------------------------------------------- write-verify
    def write_verify(self, cells: ArrayLike, lo: ArrayLike, hi: ArrayLike,
                     params: WriteVerifyParams,
                     gate_start: ArrayLike | None = None) -> CellResults:
        """Program ``cells`` into bands [lo, hi] (S) on the board; one record per cell.

        ``lo``/``hi`` are scalars or one per cell; ``gate_start`` optionally gives each cell
        its own SET gate start (V; NaN = ``params.gate_start``). The batch is checked as a
        whole before any of it is sent: the largest voltage it can put on each terminal, and
        its pulse widths, against the setup's limits and the board's ratings.
        """
        ident = self.identity
        idx = self._indices("cell", cells, ident.n_cells, distinct=True)
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), idx.shape)
        hi_a = np.broadcast_to(np.asarray(hi, dtype=np.float64), idx.shape)
        if idx.size and not (np.all(lo_a >= 0) and np.all(lo_a <= hi_a) and hi_a.max() < 4.0):
            raise InvalidRequestError("bands must satisfy 0 <= lo <= hi < 4 S")
        gates = np.full(idx.shape, np.nan) if gate_start is None else np.broadcast_to(
            np.asarray(gate_start, dtype=np.float64), idx.shape)
        given = gates[~np.isnan(gates)]
        if np.any(given < 0):
            raise InvalidRequestError("per-cell gate_start must be >= 0 V")
        reaches = params.reaches(given)
        self.interlock.check_batch("write-verify", reaches, params.widths())
        name, terminal, volts = max((r for r in reaches if r[1] not in SOURCES),
                                    key=lambda r: r[2])
        self._check_rating(terminal, f"write-verify {name}", volts)
        self._check_widths("write-verify", params.widths())
        room = self._payload_room()
        per_frame = min((room - pl.WV_PARAMS_SIZE - 4) // pl.WV_CELL_DTYPE.itemsize,
                        (room - 8) // pl.WV_RESULT_DTYPE.itemsize)
        results = empty_results(idx.size)
        self.last_batch_time = 0.0
        for s in _chunks(idx.size, per_frame):
            reply = self._transact(Command.WRITE_VERIFY, pl.write_verify_request(
                params, idx[s], lo_a[s], hi_a[s], gates[s]))
            results[s], batch_time = pl.parse_write_verify(reply, idx[s].size)
            self.last_batch_time += batch_time
        return results


def _repeats(idx: NDArray[np.int64]) -> bool:
    """Whether an index appears twice; sorted, which is several times faster than
    ``np.unique``'s hashing on the lists of a few hundred cells every frame carries."""
    ordered = np.sort(idx)
    return bool((ordered[1:] == ordered[:-1]).any())
