"""Where a run came from: package version, source revision, wall-clock stamps."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from labctl import __version__


def git_revision() -> str:
    """Commit of the source tree labctl runs from, with "+dirty" if modified, or "unknown"."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty=+dirty",
                              "--abbrev=40"], capture_output=True, text=True, timeout=5,
                             check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev or "unknown"


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_version() -> str:
    return __version__
