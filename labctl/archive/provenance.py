"""Where a run came from: who, on what, with which software, and with which parameters."""

from __future__ import annotations

import dataclasses
import getpass
import platform
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from labctl import __version__


@dataclass(frozen=True)
class Provenance:
    """What an archive records about the run's circumstances, beyond its configuration."""

    operator: str = field(default_factory=lambda: _user())
    sample: str = ""
    """Chip or sample id (the setup's ``[chip] id``, or ``--sample``)."""
    setup_text: str = ""
    """The setup file's content, verbatim (empty without a setup)."""
    parameters: dict[str, dict[str, tuple[Any, str]]] = field(default_factory=dict)
    """Procedure -> parameter -> (value, unit): every write-verify and forming setting."""

    def environment(self) -> dict[str, str]:
        """Host, operator, sample and the versions of everything that shaped the numbers."""
        return {"host": socket.gethostname(), "operator": self.operator, "sample": self.sample,
                "platform": platform.platform(), "python": platform.python_version(),
                "labctl": __version__, "numpy": np.__version__, "h5py": h5py.__version__,
                "hdf5": h5py.version.hdf5_version, "torch": _version("torch")}


def parameter_table(params: Any) -> dict[str, tuple[Any, str]]:
    """A parameter dataclass as name -> (value, SI unit), units read off the field names."""
    table = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, Enum):
            value = value.value
        table[f.name] = (value, _unit(f.name, value))
    return table


def _unit(name: str, value: Any) -> str:
    if isinstance(value, bool | int | str):
        return "1"
    if name.endswith("width") or name == "wait":
        return "s"
    if name.startswith("g_"):
        return "S"
    return "V"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


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
