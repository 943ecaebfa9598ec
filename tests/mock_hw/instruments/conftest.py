"""Shared builders for the emulator tests: a small bench and an error-queue reader."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import Keithley2600BEmulator
from mock_hw.instruments.base import LineEmulator

ReadErrors = Callable[[LineEmulator], list[tuple[int, str]]]


@pytest.fixture
def bench() -> SimulatedBench:
    """A formed 2 x 2 array with cell 0 selected, gated and routed to the SMU."""
    model = DeviceModel(rows=2, cols=2, formed_at_start=True,
                        stuck_lrs_fraction=0, stuck_hrs_fraction=0)
    bench = SimulatedBench(RRAMArray(model, seed=3))
    bench.select([0])
    bench.gate[0, 0] = 1.5
    bench.bl_route[0, 0] = Route.SMU
    return bench


def _next_error(emulator: LineEmulator) -> tuple[int, str]:
    if isinstance(emulator, Keithley2600BEmulator):
        code, message, *_ = (emulator.handle("print(errorqueue.next())") or "").split("\t")
        return round(float(code)), message
    code, _, message = (emulator.handle(":SYST:ERR?") or "").partition(",")
    return int(code), message.strip('"')


@pytest.fixture
def read_errors() -> ReadErrors:
    """Drain an emulator's error queue through its own commands: (code, message), oldest first."""

    def read(emulator: LineEmulator) -> list[tuple[int, str]]:
        entries = []
        while (entry := _next_error(emulator))[0] != 0:
            entries.append(entry)
        return entries

    return read
