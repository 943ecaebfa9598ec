"""Emulated instruments of the simulated bench and the TCP servers that expose them."""

from mock_hw.instruments.errorqueue import ErrorQueue, InstrumentCommandError
from mock_hw.instruments.faults import InstrumentFaults
from mock_hw.instruments.keithley2400 import Keithley2400Emulator
from mock_hw.instruments.keithley2600b import Keithley2600BEmulator
from mock_hw.instruments.keysight33500b import Keysight33500BEmulator
from mock_hw.instruments.server import (
    InstrumentServers,
    LineServer,
    serve_instruments,
)

__all__ = ["ErrorQueue", "InstrumentCommandError", "InstrumentFaults", "InstrumentServers",
           "Keithley2400Emulator", "Keithley2600BEmulator", "Keysight33500BEmulator",
           "LineServer", "serve_instruments"]
