"""Fixtures for the instrument-driver tests: a small simulated bench and a wire recorder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench

CELL = 5  # tile 0, row 1, column 1 of a 4 x 4 array


class Recorder:
    """Wraps an emulator's ``handle`` and records every (sent line, reply) pair."""

    def __init__(self, handler: Callable[[str], str | None]) -> None:
        self.handler = handler
        self.lines: list[tuple[str, str | None]] = []

    def __call__(self, line: str) -> str | None:
        reply = self.handler(line)
        self.lines.append((line, reply))
        return reply

    def sent(self) -> list[str]:
        return [line for line, _ in self.lines]

    def clear(self) -> None:
        self.lines.clear()


@pytest.fixture
def bench() -> SimulatedBench:
    """A formed 4 x 4 array with cell CELL selected, gated on and wired to the SMU."""
    model = DeviceModel(rows=4, cols=4, formed_at_start=True,
                        stuck_lrs_fraction=0, stuck_hrs_fraction=0)
    bench = SimulatedBench(RRAMArray(model, seed=7))
    bench.select([CELL])
    bench.gate[0, 1] = 1.5
    bench.bl_route[0, 1] = Route.SMU
    return bench
