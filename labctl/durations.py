"""Durations as a lab writes them on the command line: ``90s``, ``30m``, ``1h``, ``1d``, ``1w``."""

from __future__ import annotations

import math
import re

from drivers.errors import ConfigError

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([smhdw]?)\s*")


def parse_duration(text: str, option: str) -> float:
    """Seconds in ``text`` (a number with an optional unit s, m, h, d, w; plain numbers are
    seconds); anything else, or a duration that is not positive, is a ConfigError naming
    ``option``."""
    match = _DURATION.fullmatch(text)
    seconds = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigError(f"{option} {text!r} is not a positive duration: write a number with "
                          "a unit, e.g. 90s, 30m, 1h, 1d or 1w")
    return seconds
