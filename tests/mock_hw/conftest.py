"""Shared builders for the simulated-array tests: small healthy arrays with fixed seeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_hw import DeviceModel, RRAMArray

SEED = 1234

MakeArray = Callable[..., RRAMArray]


@pytest.fixture
def make_array() -> MakeArray:
    """Build a 64 x 64 array, every cell formed, no stuck faults, unless overridden."""

    def make(seed: int = SEED, **overrides: Any) -> RRAMArray:
        fields: dict[str, Any] = {"rows": 64, "cols": 64, "formed_at_start": True,
                                  "stuck_lrs_fraction": 0.0, "stuck_hrs_fraction": 0.0}
        fields.update(overrides)
        return RRAMArray(DeviceModel(**fields), seed=seed)

    return make
