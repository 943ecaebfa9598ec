"""Where a run is archived when it is not told where."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def default_path(kind: str) -> Path:
    """``runs/<kind>-<local time>.h5``, to the microsecond, so that two runs started in the
    same second do not share (and overwrite) one archive."""
    return Path("runs") / f"{kind}-{datetime.now():%Y%m%d-%H%M%S-%f}.h5"
