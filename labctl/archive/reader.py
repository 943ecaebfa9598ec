"""Open any archive labctl writes, including one whose run was killed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np

from labctl.archive.errors import ArchiveError
from labctl.archive.schema import FORMAT, SCHEMA_VERSION


class Archive:
    """Read-only view of a run archive: metadata, tables and arrays."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ArchiveError(f"{self.path}: no such file; give the path of a labctl .h5 archive")
        try:
            self._file = h5py.File(self.path, "r", swmr=True)
        except (OSError, RuntimeError) as err:
            raise ArchiveError(f"{self.path} is not a readable HDF5 file ({err}); "
                               "give the path of a labctl .h5 archive") from err
        attrs = self._file.attrs
        if attrs.get("format") != FORMAT:
            self._file.close()
            raise ArchiveError(f"{self.path} is an HDF5 file but not a labctl archive "
                               "(no format=labctl-archive attribute)")
        version = int(attrs.get("schema_version", -1))
        if version > SCHEMA_VERSION:
            self._file.close()
            raise ArchiveError(f"{self.path} uses archive schema {version}, newer than this "
                               f"labctl reads ({SCHEMA_VERSION}): upgrade labctl")
        self.schema_version = version
        self.kind = str(attrs["kind"])
        self.backend = str(attrs["backend"])
        self.seed = int(attrs["seed"])
        self.config: dict[str, Any] = json.loads(attrs["config"])
        self.instruments: dict[str, str] = json.loads(attrs["instruments"])
        self.status = str(attrs.get("status", "incomplete (run did not finish)"))
        self.stored_summary: dict[str, Any] | None = (
            json.loads(attrs["summary"]) if "summary" in attrs else None
        )
        self.meta = {k: _plain(v) for k, v in attrs.items() if k not in ("config", "summary")}

    def table(self, name: str) -> np.ndarray:
        """The whole table ``name`` as a structured array (empty if absent)."""
        if name not in self._file:
            raise ArchiveError(f"{self.path} has no table {name!r} (kind {self.kind})")
        ds = self._file[name]
        ds.refresh()
        return ds[...]

    def array(self, name: str) -> np.ndarray:
        """The fixed-shape dataset ``name``."""
        if name not in self._file:
            raise ArchiveError(f"{self.path} has no dataset {name!r} (kind {self.kind})")
        return self._file[name][...]

    def names(self, group: str) -> list[str]:
        """Names of the datasets inside ``group`` (empty if the group is absent)."""
        return sorted(self._file[group]) if group in self._file else []

    def datasets(self, group: str) -> list[str]:
        """Paths, relative to ``group``, of every dataset below it (recursively)."""
        if group.rstrip("/") not in self._file:
            return []
        found: list[str] = []
        self._file[group.rstrip("/")].visititems(
            lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
        return sorted(found)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value
