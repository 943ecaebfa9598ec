"""Shared builders for the protocol tests: small seeded simulated chips behind a real Bench."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labctl.backends import simulated_bench
from labctl.bench import Bench
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from protocols.levels import LevelPlan

SEED = 7

MakeChip = Callable[..., tuple[Bench, SimulatedBench]]


@pytest.fixture
def plan() -> LevelPlan:
    """The lab's default plan: 8 levels over 10-120 uS, +-2 uS bands."""
    return LevelPlan(10e-6, 120e-6, 8, 2e-6)


@pytest.fixture
def make_chip() -> Iterator[MakeChip]:
    """Build a Bench on a small simulated chip (8 x 16, formed, no stuck cells by default).

    The SimulatedBench is returned too, so a test can inspect the routing and the array;
    every bench built is closed (left safe) at teardown.
    """
    benches: list[Bench] = []

    def make(seed: int = SEED, **overrides: Any) -> tuple[Bench, SimulatedBench]:
        fields: dict[str, Any] = {"rows": 8, "cols": 16, "formed_at_start": True,
                                  "stuck_lrs_fraction": 0.0, "stuck_hrs_fraction": 0.0}
        fields.update(overrides)
        sim = SimulatedBench(RRAMArray(DeviceModel(**fields), seed=seed))
        bench = simulated_bench(sim)
        benches.append(bench)
        return bench, sim

    yield make
    for bench in benches:
        bench.close()
