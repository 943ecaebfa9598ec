"""TCP server exposing the emulated FPGA firmware to pyserial's ``socket://`` URLs.

Each connection gets its own firmware ``Connection`` (frame parser and reply cache) on the
shared firmware; a lock serializes access to the bench, and can be shared with the other
instrument servers acting on the same bench. While a connection holds part of a frame, its
socket reads time out at the partial-frame deadline, so a frame cut off by a silent line is
dropped and answered (NAK BAD_CRC) promptly rather than when the next bytes arrive. Bytes are
stamped when read from the socket, before the lock is taken, so time spent waiting for
another connection's command never counts as silence.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from types import TracebackType

from mock_hw.fpga.faults import ByteHandler, FaultInjection, FaultyLine
from mock_hw.fpga.firmware import Connection, FpgaFirmware

log = logging.getLogger("mock_hw.fpga")
_RECV = 1 << 16
_MIN_WAIT = 1e-3
"""Shortest socket timeout (s): a timeout of 0 would make the socket non-blocking."""


def _receive(sock: socket.socket, conn: Connection) -> bytes | None:
    """Wait for the next bytes from ``sock``, at most until ``conn``'s partial-frame deadline.

    Returns the bytes, ``b''`` when the deadline passed in silence, or None at the end of
    the stream; blocks without limit while no partial frame is held.
    """
    deadline = conn.deadline()
    sock.settimeout(None if deadline is None
                    else max(deadline - conn.firmware.clock(), _MIN_WAIT))
    try:
        return sock.recv(_RECV) or None
    except TimeoutError:
        return b""
    finally:
        sock.settimeout(None)


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        conn = owner.firmware.stream()
        line: ByteHandler = conn
        if owner.faults is not None:
            line = FaultyLine(conn, owner.faults, realtime=True)
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        owner.connections.add(sock)
        try:
            while (data := _receive(sock, conn)) is not None:
                arrival = conn.firmware.clock()
                with owner.lock:
                    reply = line(data, arrival)
                if reply:
                    sock.sendall(reply)
        except OSError as err:
            log.debug("FPGA connection closed: %s", err)
        finally:
            owner.connections.discard(sock)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: FpgaServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class FpgaServer:
    """Serve ``firmware`` on ``host:port`` (port 0 picks a free one) until ``stop()``."""

    def __init__(self, firmware: FpgaFirmware, host: str = "127.0.0.1", port: int = 5027,
                 faults: FaultInjection | None = None,
                 lock: threading.Lock | threading.RLock | None = None) -> None:
        self.firmware = firmware
        self.host = host
        self.port = port
        self.faults = faults
        self.lock = lock or threading.Lock()
        self.connections: set[socket.socket] = set()
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The pyserial URL of the server, e.g. ``socket://127.0.0.1:5027``."""
        return f"socket://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a background thread; ``port`` holds the bound port afterwards."""
        if self._server is not None:
            return
        self._server = _TCPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"fpga-server-{self.port}", daemon=True)
        self._thread.start()
        log.info("FPGA emulator listening on %s", self.endpoint)

    def stop(self) -> None:
        """Stop accepting, close open connections and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        for sock in list(self.connections):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FpgaServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
