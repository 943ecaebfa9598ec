"""An in-process serial port whose writes go straight to a firmware handler.

``LoopbackPort(handler)`` stands in for ``serial.Serial``: ``write`` passes the bytes to
``handler`` (any ``Callable[[bytes], bytes]``, e.g. an emulated firmware's ``handle``) and
queues what it returns for ``read``. A read with nothing queued returns ``b''`` at once,
as pyserial does when its timeout expires, so link timeouts cost no wall time.
"""

from __future__ import annotations

from collections.abc import Callable


class LoopbackPort:
    """pyserial-like port connected to an in-process firmware handler."""

    def __init__(self, handler: Callable[[bytes], bytes], timeout: float | None = 1.0) -> None:
        self.handler = handler
        self.timeout = timeout
        self.is_open = True
        self._rx = bytearray()

    @property
    def in_waiting(self) -> int:
        """Bytes ready to read."""
        return len(self._rx)

    def write(self, data: bytes) -> int:
        """Deliver ``data`` to the handler and queue its answer."""
        self._rx += self.handler(bytes(data))
        return len(data)

    def read(self, size: int = 1) -> bytes:
        """Up to ``size`` queued bytes; ``b''`` when none are queued (a timeout)."""
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def reset_input_buffer(self) -> None:
        """Drop queued bytes."""
        self._rx.clear()

    def close(self) -> None:
        self.is_open = False
