"""Emulated FPGA board: firmware speaking the link protocol, fault injection, TCP server."""

from mock_hw.fpga.faults import FaultInjection, FaultyLine
from mock_hw.fpga.firmware import Connection, FirmwareConfig, FpgaFirmware
from mock_hw.fpga.server import FpgaServer

__all__ = ["Connection", "FaultInjection", "FaultyLine", "FirmwareConfig", "FpgaFirmware",
           "FpgaServer"]
