"""Serve emulated instruments as raw-socket VISA resources on loopback.

A ``LineServer`` serves one emulator on ``host:port``: every ``\\n``-terminated line a
client sends goes to the emulator's ``handle``, and a reply, if any, goes back with ``\\n``.
pyvisa-py reaches it as ``TCPIP0::<host>::<port>::SOCKET``. Each client connection gets a
thread; ``stop`` closes the listener and every open connection. ``serve_instruments`` starts
the SMU and pulse-generator servers of one bench (what ``labctl mock-server`` runs).

Lines are read with a bound. A line longer than the emulator's ``input_buffer`` reaches
``handle`` cut to its first ``input_buffer + 2`` bytes, which the emulator refuses with -363
"Input buffer overrun"; the rest of the line is then read and dropped a chunk at a time up to
its newline. A client streaming an endless line thus holds neither memory nor the bench lock
that the other instruments of the bench need. No input makes ``handle`` raise; should it
all the same, the server logs the traceback and queues -300 "Device-specific error" in the
emulator (``device_error``) rather than losing the connection.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType

from mock_hw.instruments.base import LineEmulator

log = logging.getLogger("mock_hw.server")
_DISCARD_CHUNK = 65536


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
        emulator = self.server.emulator
        limit = emulator.input_buffer + 2  # a full buffer and its "\r\n" still fit
        try:
            self._ack_promptly()
            while raw := self.rfile.readline(limit):
                self._ack_promptly()
                line = raw.decode("ascii", errors="replace").rstrip("\r\n")
                try:
                    reply = emulator.handle(line)
                except Exception:
                    log.exception("%s: emulator failed on %r", self.server.name, line)
                    emulator.device_error()
                    reply = None
                if len(raw) == limit and not raw.endswith(b"\n"):
                    self._discard_line()
                if reply is not None:
                    self.wfile.write(reply.encode("ascii", errors="replace") + b"\n")
        except OSError:
            pass
        finally:
            self.server.track(self.connection, add=False)

    def _discard_line(self) -> None:
        """Read and drop the rest of an over-long line, one bounded chunk at a time."""
        chunk = b""
        while not chunk.endswith(b"\n"):
            chunk = self.rfile.readline(_DISCARD_CHUNK)
            if not chunk:
                return


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: LineEmulator, name: str) -> None:
        self.emulator = emulator
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

    def __init__(self, emulator: LineEmulator, *, host: str = "127.0.0.1", port: int = 0,
                 name: str = "instrument") -> None:
        self.name = name
        self._server = _TcpServer((host, port), emulator, name)
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


def serve_instruments(smu: LineEmulator, pulse: LineEmulator, *, host: str = "127.0.0.1",
                      smu_port: int = 5025, pulse_port: int = 5026) -> InstrumentServers:
    """Serve the SMU and pulse-generator emulators of one bench on TCP; returns the servers.

    Build both emulators on the same bench with the lock its FPGA emulator uses, so that no
    two instruments act on the array at once.
    """
    smu_server = LineServer(smu, host=host, port=smu_port, name="smu").start()
    try:
        pulse_server = LineServer(pulse, host=host, port=pulse_port, name="pulse").start()
    except OSError:
        smu_server.stop()
        raise
    return InstrumentServers(smu_server, pulse_server)
