"""Durations as a lab writes them on the command line: ``90s``, ``30m``, ``1h``, ``1d``, ``1w``."""

from __future__ import annotations

import math
import re

from drivers.errors import ConfigError

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([smhdw]?)\s*")


def parse_duration(text: str, option: str, *, zero: bool = False) -> float:
    """Seconds in ``text`` (a number with an optional unit s, m, h, d, w; plain numbers are
    seconds); anything else, or a duration that is not positive (with ``zero``: negative), is
    a ConfigError naming ``option``."""
    match = _DURATION.fullmatch(text)
    seconds = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else math.nan
    if not ((seconds >= 0 if zero else seconds > 0) and math.isfinite(seconds)):
        kind = "a duration of 0 or more" if zero else "a positive duration"
        raise ConfigError(f"{option} {text!r} is not {kind}: write a number with a unit, e.g. "
                          "90s, 30m, 1h, 1d or 1w")
    return seconds


def parse_durations(text: str, option: str) -> list[float]:
    """The comma-separated durations of ``text`` (0 or more each), sorted, at least one."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"{option} is empty: give one or more durations, e.g. 1h,1d,1w")
    return sorted({parse_duration(part, option, zero=True) for part in parts})


def format_duration(seconds: float) -> str:
    """A duration in the largest unit it is a whole number of (``1d``, ``90m``), else in
    seconds; ``0`` for none."""
    for unit in ("w", "d", "h", "m"):
        if seconds >= UNITS[unit] and (seconds / UNITS[unit]).is_integer():
            return f"{seconds / UNITS[unit]:g}{unit}"
    return f"{seconds:g}s" if seconds else "0"
