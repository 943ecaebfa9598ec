"""Serve emulated instruments as raw-socket VISA resources on loopback.

A ``LineServer`` serves one emulator on ``host:port``: every ``\\n``-terminated line a
client sends goes to ``handle``, and a reply, if any, goes back with ``\\n``. pyvisa-py
reaches it as ``TCPIP0::<host>::<port>::SOCKET``. Each client connection gets a thread;
``stop`` closes the listener and every open connection. ``serve_instruments`` starts the
SMU and pulse-generator servers of one bench (what ``labctl mock-server`` runs).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from mock_hw.bench import SimulatedBench
from mock_hw.instruments.faults import InstrumentFaults
from mock_hw.instruments.keithley2400 import Keithley2400Emulator
from mock_hw.instruments.keithley2600b import Keithley2600BEmulator
from mock_hw.instruments.keysight33500b import Keysight33500BEmulator

log = logging.getLogger("mock_hw.server")
SmuModel = Literal["keithley2400", "keithley2600b"]


class _Handler(socketserver.StreamRequestHandler):
    server: _TcpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _ack_promptly(self) -> None:
        """ACK each line at once, as an instrument's LAN stack does. Without it the host's
        Nagle algorithm holds a command that follows one without a reply until the delayed
        ACK fires (tens of ms per query after a write)."""
        if hasattr(socket, "TCP_QUICKACK"):
            with suppress(OSError):
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def handle(self) -> None:
        self.server.track(self.connection, add=True)
        try:
            self._ack_promptly()
            for raw in self.rfile:
                self._ack_promptly()
                line = raw.decode("ascii", errors="replace").rstrip("\r\n")
                try:
                    reply = self.server.handler(line)
                except Exception:
                    log.exception("%s: emulator failed on %r", self.server.name, line)
                    continue
                if reply is not None:
                    self.wfile.write(reply.encode("ascii", errors="replace") + b"\n")
        except OSError:
            pass
        finally:
            self.server.track(self.connection, add=False)


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Callable[[str], str | None],
                 name: str) -> None:
        self.handler = handler
        self.name = name
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(connection)

    def close_connections(self) -> None:
        with self._open_lock:
            for connection in self._open:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._open.clear()


class LineServer:
    """One emulator served on ``host:port`` (port 0: any free port) in background threads."""

    def __init__(self, handler: Callable[[str], str | None], *, host: str = "127.0.0.1",
                 port: int = 0, name: str = "instrument") -> None:
        self.name = name
        self._server = _TcpServer((host, port), handler, name)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def resource_name(self) -> str:
        """The VISA resource string that reaches this server through pyvisa-py."""
        host, port = self.address
        return f"TCPIP0::{host}::{port}::SOCKET"

    def start(self) -> LineServer:
        """Start serving in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"mock-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every client connection and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> LineServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def make_smu(model: SmuModel, bench: SimulatedBench, *, faults: InstrumentFaults | None = None,
             lock: AbstractContextManager[Any] | None = None
             ) -> Keithley2400Emulator | Keithley2600BEmulator:
    """The emulator of SMU ``model`` on ``bench``."""
    if model == "keithley2400":
        return Keithley2400Emulator(bench, faults=faults, lock=lock)
    if model == "keithley2600b":
        return Keithley2600BEmulator(bench, faults=faults, lock=lock)
    raise ValueError(f"unknown SMU model {model!r}; choose keithley2400 or keithley2600b")


@dataclass
class InstrumentServers:
    """The running SMU and pulse-generator servers of one bench."""

    smu: LineServer
    pulse: LineServer

    @property
    def endpoints(self) -> dict[str, str]:
        """VISA resource strings by role: ``{"smu": ..., "pulse": ...}``."""
        return {"smu": self.smu.resource_name, "pulse": self.pulse.resource_name}

    def stop(self) -> None:
        self.smu.stop()
        self.pulse.stop()


def serve_instruments(
    bench: SimulatedBench,
    *,
    smu_model: SmuModel = "keithley2400",
    host: str = "127.0.0.1",
    smu_port: int = 5025,
    pulse_port: int = 5026,
    faults: InstrumentFaults | None = None,
    lock: AbstractContextManager[Any] | None = None,
) -> InstrumentServers:
    """Start the SMU and pulse-generator emulators of ``bench`` on TCP; returns the servers.

    Pass the ``lock`` the FPGA emulator of the same bench uses, so that no two instruments
    act on the array at once (a fresh one is made otherwise).
    """
    lock = lock or threading.RLock()
    smu = make_smu(smu_model, bench, faults=faults, lock=lock)
    pulse = Keysight33500BEmulator(bench, faults=faults, lock=lock)
    smu_server = LineServer(smu.handle, host=host, port=smu_port, name="smu").start()
    try:
        pulse_server = LineServer(pulse.handle, host=host, port=pulse_port, name="pulse").start()
    except OSError:
        smu_server.stop()
        raise
    return InstrumentServers(smu_server, pulse_server)
