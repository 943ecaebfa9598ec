"""Figures re-made from archives (PNG, matplotlib Agg)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.archive import Archive


def figure_for(kind: str) -> Callable[[Archive, Path], Path]:
    """The function that draws a run of ``kind`` (any but a sweep) from its archive into a
    PNG: ``plot_<kind>`` of module ``labctl.plots.<kind>``, imported on first use."""
    return getattr(import_module(f"labctl.plots.{kind}"), f"plot_{kind}")
