"""Where a run is archived when it is not told where."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def default_path(kind: str) -> Path:
    """``runs/<kind>-<local time>.h5``, to the microsecond, so that two runs started in the
    same second do not share (and overwrite) one archive."""
    return Path("runs") / f"{kind}-{datetime.now():%Y%m%d-%H%M%S-%f}.h5"


SWEEP_INDEX = "sweep.h5"
"""A sweep's index, inside the sweep's folder."""


def archive_path(path: Path) -> Path:
    """An archive's path as given, or a sweep's folder as the path of its index."""
    return path / SWEEP_INDEX if path.is_dir() else path
