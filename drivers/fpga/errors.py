"""Typed errors of the FPGA link: transport failures, refused frames, invalid requests."""

from __future__ import annotations

from drivers.errors import LabError


class LinkError(LabError):
    """The serial link to the FPGA board failed to carry a request and its reply."""


class LinkTimeout(LinkError):  # noqa: N818 - the name the lab uses (like TimeoutError)
    """No valid reply arrived in time (pyserial reads returned nothing)."""


class CRCError(LinkError):
    """A reply frame arrived damaged (its CRC did not match)."""


class ProtocolError(LinkError):
    """A reply was well framed but did not follow the protocol (wrong version or layout)."""


class NAKError(LinkError):
    """The firmware refused a request with a NAK; carries its error code and message."""

    def __init__(self, code: int, name: str, message: str, command: str) -> None:
        super().__init__(f"FPGA refused {command}: {name} (code {code}): {message}")
        self.code = code
        self.name = name
        self.message = message
        self.command = command


class FirmwareError(NAKError):
    """A NAK that retrying cannot cure: the firmware rejected the request's content."""


class InvalidRequestError(LabError, ValueError):
    """A request was rejected by the driver before anything was sent; names the fix."""
