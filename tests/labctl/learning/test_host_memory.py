"""A network too large for the host's memory is refused before any of it is allocated."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError
from labctl.learning import host_memory
from labctl.learning.config import TrainConfig
from labctl.learning.host_memory import (
    BYTES_PER_TRAINED_WEIGHT,
    available_memory,
    check_host_memory,
)

DEFAULT_WEIGHTS = 784 * 1024 + 1024 * 512 + 512 * 10


def test_the_host_reports_its_memory() -> None:
    available = available_memory()
    assert available is not None and available > 2**28


def test_the_default_network_fits_in_what_its_weights_need() -> None:
    check_host_memory(TrainConfig(), available=DEFAULT_WEIGHTS * BYTES_PER_TRAINED_WEIGHT)


def test_one_byte_less_is_refused_naming_the_widths() -> None:
    with pytest.raises(ConfigError, match=r"^--hidden 1024,512: training its 1,332,224 weights "
                                          r"needs at least 21\.3 MB .*use a smaller --hidden$"):
        check_host_memory(TrainConfig(),
                          available=DEFAULT_WEIGHTS * BYTES_PER_TRAINED_WEIGHT - 1)


def test_a_host_that_does_not_say_refuses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_memory, "available_memory", lambda: None)
    check_host_memory(TrainConfig(hidden=[10**8]))
