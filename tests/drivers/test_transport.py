"""Line transports: loopback semantics, VISA error wrapping, bounded reconnect, raw logging."""

from __future__ import annotations

import logging
import socket

import pytest
from pyvisa import VisaIOError
from pyvisa.constants import StatusCode

from drivers.errors import ConnectionLost, InstrumentTimeout, NotAnswering
from drivers.transport import LoopbackTransport, VisaTransport


class FakeResource:
    """A pyvisa resource whose next operations fail as scripted."""

    def __init__(self, failures: list[StatusCode]) -> None:
        self.failures = failures
        self.written: list[str] = []

    def _maybe_fail(self) -> None:
        if self.failures:
            raise VisaIOError(self.failures.pop(0))

    def write(self, line: str) -> None:
        self._maybe_fail()
        self.written.append(line)

    def read(self) -> str:
        self._maybe_fail()
        return "reply"

    def close(self) -> None:
        pass


class FakeManager:
    """Opens FakeResources; ``open_failures`` opens fail before one succeeds."""

    def __init__(self, failures: list[StatusCode], open_failures: int = 0) -> None:
        self.failures = failures
        self.open_failures = open_failures
        self.opened: list[FakeResource] = []
        self.kwargs: dict = {}

    def open_resource(self, name: str, **kwargs: object) -> FakeResource:
        self.kwargs = kwargs
        if self.opened and self.open_failures:
            self.open_failures -= 1
            raise VisaIOError(StatusCode.error_resource_not_found)
        self.opened.append(FakeResource(self.failures))
        return self.opened[-1]


def visa(manager: FakeManager, attempts: int = 2) -> VisaTransport:
    return VisaTransport("TCPIP0::10.0.0.2::5025::SOCKET", name="smu", timeout=1.5,
                         reconnect_attempts=attempts, reconnect_backoff=0.0,
                         resource_manager=manager)


def answered(manager: FakeManager, attempts: int = 2) -> VisaTransport:
    """A transport whose instrument has replied once: the link worked, so it can be lost."""
    transport = visa(manager, attempts)
    assert transport.query("*IDN?") == "reply"
    manager.opened[-1].written.clear()
    return transport


def test_timeout_in_seconds_becomes_milliseconds_and_terminations_are_explicit():
    manager = FakeManager([])
    visa(manager)
    assert manager.kwargs == {"read_termination": "\n", "write_termination": "\n",
                              "timeout": 1500}


def test_visa_timeout_is_wrapped():
    transport = visa(FakeManager([StatusCode.error_timeout]))
    with pytest.raises(InstrumentTimeout, match=r"1\.5 s"):
        transport.query("*IDN?")


def test_broken_write_reconnects_and_is_sent_once():
    manager = FakeManager([])
    transport = answered(manager)
    manager.failures.append(StatusCode.error_connection_lost)
    transport.write(":OUTP ON")
    assert len(manager.opened) == 2
    assert manager.opened[-1].written == [":OUTP ON"]


def test_reconnect_is_bounded():
    manager = FakeManager([], open_failures=5)
    transport = answered(manager, attempts=3)
    manager.failures.append(StatusCode.error_connection_lost)
    with pytest.raises(ConnectionLost, match="3 attempt"):
        transport.write("*TRG")
    assert manager.open_failures == 2


def test_lost_reply_reconnects_but_is_not_resent():
    manager = FakeManager([])
    transport = answered(manager)
    transport.write("*TRG;*OPC?")
    manager.failures.append(StatusCode.error_connection_lost)
    with pytest.raises(ConnectionLost, match="reply was lost"):
        transport.read()
    assert len(manager.opened) == 2
    assert [r.written for r in manager.opened] == [["*TRG;*OPC?"], []]


def test_a_link_that_never_answered_is_not_reconnected_but_named():
    manager = FakeManager([StatusCode.error_connection_lost])
    transport = visa(manager)
    with pytest.raises(NotAnswering, match=r"nothing answers at TCPIP0::10\.0\.0\.2::5025"):
        transport.write("*IDN?")
    assert len(manager.opened) == 1


def test_a_refused_socket_says_nothing_answers_at_the_address():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = VisaTransport(f"TCPIP0::127.0.0.1::{port}::SOCKET", name="smu", timeout=1.0,
                              reconnect_backoff=0.0, visa_library="@py")
    with pytest.raises(NotAnswering, match="mock-server"):
        transport.query("*IDN?")


def test_loopback_read_without_reply_times_out():
    transport = LoopbackTransport(lambda line: None)
    transport.write("*RST")
    with pytest.raises(InstrumentTimeout):
        transport.read()


def test_raw_traffic_is_logged_at_debug_per_instrument(caplog):
    transport = LoopbackTransport(lambda line: "1" if line.endswith("?") else None, name="pg")
    with caplog.at_level(logging.DEBUG, logger="labctl.instrument.pg"):
        transport.query("*OPC?")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("labctl.instrument.pg", "TX *OPC?"), ("labctl.instrument.pg", "RX 1")]
