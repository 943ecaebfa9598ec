"""The FPGA link: binary protocol (SPEC.md), its codec, the ``FpgaLink`` driver, transports."""

from drivers.fpga.client import ROUTES, FpgaLink, SerialPort
from drivers.fpga.errors import (
    CRCError,
    FirmwareError,
    InvalidRequestError,
    LinkError,
    LinkTimeout,
    NAKError,
    ProtocolError,
)
from drivers.fpga.loopback import LoopbackPort
from drivers.fpga.payloads import Identity
from drivers.fpga.writeverify import (
    CELL_RESULT_DTYPE,
    CellResults,
    Scheme,
    WriteVerifyParams,
    empty_results,
)

__all__ = ["CELL_RESULT_DTYPE", "ROUTES", "CRCError", "CellResults", "FirmwareError", "FpgaLink",
           "Identity", "InvalidRequestError", "LinkError", "LinkTimeout", "LoopbackPort",
           "NAKError", "ProtocolError", "Scheme", "SerialPort", "WriteVerifyParams",
           "empty_results"]
