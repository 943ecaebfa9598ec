"""Line transports: how a driver exchanges one command line and one reply line.

``VisaTransport`` talks to a real (or ``labctl mock-server``) VISA resource through pyvisa;
``LoopbackTransport`` hands each line to an in-process callable, e.g. an emulator's
``handle``. Both log raw traffic at DEBUG on ``labctl.instrument.<name>`` and serialise
access with one lock per resource, so a query's write and read are never interleaved.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyvisa
from pyvisa.constants import StatusCode

from drivers.errors import ConnectionLost, InstrumentTimeout, NotAnswering

_IO_ERRORS = (pyvisa.VisaIOError, OSError)
"""What a VISA session raises when the link breaks: pyvisa's own error, or (pyvisa-py
sockets) the operating system's, e.g. a refused or reset connection."""


def _describe(err: Exception) -> str:
    return err.description if isinstance(err, pyvisa.VisaIOError) else str(err)


class LineTransport(ABC):
    """One instrument connection exchanging text lines (terminations are the transport's)."""

    def __init__(self, resource_name: str, name: str) -> None:
        self.resource_name = resource_name
        self.log = logging.getLogger(f"labctl.instrument.{name}")
        self.lock = threading.RLock()

    def write(self, line: str) -> None:
        """Send one command line."""
        with self.lock:
            self.log.debug("TX %s", line)
            self._write(line)

    def read(self) -> str:
        """Receive one reply line, without its termination."""
        with self.lock:
            reply = self._read()
            self.log.debug("RX %s", reply)
            return reply

    def query(self, line: str) -> str:
        """Send a query and return its reply, holding the lock across both."""
        with self.lock:
            self.write(line)
            return self.read()

    def query_long(self, line: str, seconds: float) -> str:
        """A query whose reply takes up to ``seconds`` longer than usual (a sweep)."""
        with self.lock, self._patience(seconds):
            return self.query(line)

    @contextmanager
    def _patience(self, seconds: float) -> Iterator[None]:
        """Extend the read timeout by ``seconds`` while the block runs (no timeout here)."""
        yield

    @abstractmethod
    def _write(self, line: str) -> None: ...

    @abstractmethod
    def _read(self) -> str: ...

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the transport is unusable afterwards."""


class LoopbackTransport(LineTransport):
    """In-process transport: each line goes to ``handler``, whose non-None return is a reply.

    Reading with no reply pending raises ``InstrumentTimeout``, as a real instrument that
    was sent no query would leave the read to time out.
    """

    def __init__(
        self,
        handler: Callable[[str], str | None],
        *,
        name: str = "loopback",
        resource_name: str = "loopback",
    ) -> None:
        super().__init__(resource_name, name)
        self._handler = handler
        self._replies: deque[str] = deque()

    def _write(self, line: str) -> None:
        reply = self._handler(line)
        if reply is not None:
            self._replies.append(reply)

    def _read(self) -> str:
        if not self._replies:
            raise InstrumentTimeout(self.resource_name, 0.0)
        return self._replies.popleft()

    def close(self) -> None:
        self._replies.clear()


class VisaTransport(LineTransport):
    """A pyvisa message-based resource with explicit terminations and bounded reconnect.

    ``timeout`` is in seconds (as in the setup) and converted to milliseconds for pyvisa.
    The ``'@py'`` backend (pyvisa-py) is the default; pass another ``visa_library`` (for
    example a path to the vendor's VISA) when the setup says so. A broken session is closed,
    and reopened after ``reconnect_backoff`` seconds, at most ``reconnect_attempts`` times.
    A failed write is resent once on the new session (it never reached the instrument); a
    reply lost in a read is not, since re-sending a query like ``*TRG`` could act twice.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        name: str,
        timeout: float = 2.0,
        read_termination: str = "\n",
        write_termination: str = "\n",
        visa_library: str = "@py",
        reconnect_attempts: int = 3,
        reconnect_backoff: float = 0.5,
        resource_manager: Any | None = None,
    ) -> None:
        super().__init__(resource_name, name)
        self.timeout = timeout
        self.read_termination = read_termination
        self.write_termination = write_termination
        self.reconnect_attempts = reconnect_attempts
        self.reconnect_backoff = reconnect_backoff
        self._rm = resource_manager or pyvisa.ResourceManager(visa_library)
        self._resource: Any | None = None
        self._answered = False
        """Whether the instrument has replied once: until then a broken link is one that never
        worked, and there is nothing to reconnect to."""
        try:
            self._open()
        except _IO_ERRORS as err:
            raise ConnectionLost(resource_name, f"could not open it ({_describe(err)})") from err

    def _open(self) -> None:
        self._resource = self._rm.open_resource(
            self.resource_name,
            read_termination=self.read_termination,
            write_termination=self.write_termination,
            timeout=round(self.timeout * 1000),
        )

    def _close_resource(self) -> None:
        if self._resource is not None:
            try:
                self._resource.close()
            except _IO_ERRORS as err:
                self.log.debug("close after failure: %s", _describe(err))
            self._resource = None

    @contextmanager
    def _patience(self, seconds: float) -> Iterator[None]:
        session = self._session()
        session.timeout = round((self.timeout + seconds) * 1000)
        try:
            yield
        finally:
            if self._resource is not None:
                self._resource.timeout = round(self.timeout * 1000)

    def _reconnect(self, cause: Exception) -> None:
        self._close_resource()
        for attempt in range(1, self.reconnect_attempts + 1):
            self.log.warning("reconnecting (attempt %d) after %s", attempt, _describe(cause))
            time.sleep(self.reconnect_backoff * attempt)
            try:
                self._open()
                return
            except _IO_ERRORS as err:
                cause = err
        raise ConnectionLost(
            self.resource_name,
            f"reconnect failed after {self.reconnect_attempts} attempt(s): {_describe(cause)}",
        ) from cause

    def _is_timeout(self, err: Exception) -> bool:
        return isinstance(err, pyvisa.VisaIOError) and err.error_code == StatusCode.error_timeout

    def _session(self) -> Any:
        if self._resource is None:
            raise ConnectionLost(self.resource_name, "the transport is closed")
        return self._resource

    def _write(self, line: str) -> None:
        try:
            self._session().write(line)
        except _IO_ERRORS as err:
            if self._is_timeout(err):
                raise InstrumentTimeout(self.resource_name, self.timeout) from err
            if not self._answered:
                raise NotAnswering(self.resource_name, _describe(err)) from err
            self._reconnect(err)
            try:
                self._session().write(line)
            except _IO_ERRORS as again:
                raise ConnectionLost(
                    self.resource_name, f"write failed after reconnect: {_describe(again)}"
                ) from again

    def _read(self) -> str:
        try:
            reply = str(self._session().read())
        except _IO_ERRORS as err:
            if self._is_timeout(err):
                raise InstrumentTimeout(self.resource_name, self.timeout) from err
            if not self._answered:
                raise NotAnswering(self.resource_name, _describe(err)) from err
            self._reconnect(err)
            raise ConnectionLost(
                self.resource_name,
                "a reply was lost and the session reopened; re-send the query only if it is "
                "safe to repeat",
            ) from err
        self._answered = True
        return reply

    def close(self) -> None:
        with self.lock:
            self._close_resource()
