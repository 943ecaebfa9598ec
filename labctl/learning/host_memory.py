"""Refuse a network the host cannot train in its memory, before any of it is allocated."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

from drivers.errors import ConfigError
from labctl.learning.config import TrainConfig

BYTES_PER_TRAINED_WEIGHT = 16
"""The least one trained weight costs on the host: its float32 hidden weight, gradient and
Adam's two moments (the quantized copy, activations and a chip's bookkeeping come on top)."""


def available_memory() -> int | None:
    """Bytes the host can still give (Linux's MemAvailable; else all physical memory; None
    where neither is known)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_host_memory(config: TrainConfig, available: int | None = None) -> None:
    """A ConfigError if ``config``'s weights alone need more than ``available`` bytes
    (default: what the host has now)."""
    available = available_memory() if available is None else available
    weights = sum(n_in * n_out for n_in, n_out in pairwise(config.sizes))
    needed = weights * BYTES_PER_TRAINED_WEIGHT
    if available is not None and needed > available:
        raise ConfigError(
            f"--hidden {','.join(map(str, config.hidden))}: training its {weights:,} weights "
            f"needs at least {_size(needed)} of memory and this machine has {_size(available)} "
            "available: use a smaller --hidden")


def _size(n_bytes: int) -> str:
    """``1,270.4 GB`` or ``21.3 MB``."""
    return f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 10**8 else f"{n_bytes / 1e6:,.1f} MB"
