"""A client wired in-process to the emulated firmware on a small simulated bench."""

from __future__ import annotations

import pytest

from drivers.fpga import FpgaLink, LoopbackPort
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga import FpgaFirmware
from tests.interlock import lax

HEALTHY = DeviceModel(rows=16, cols=16, tiles=2, formed_at_start=True, stuck_lrs_fraction=0,
                      stuck_hrs_fraction=0)


@pytest.fixture
def firmware() -> FpgaFirmware:
    return FpgaFirmware(SimulatedBench(RRAMArray(HEALTHY, seed=7)))


@pytest.fixture
def link(firmware: FpgaFirmware) -> FpgaLink:
    return FpgaLink(LoopbackPort(firmware.handle), lax())
