"""Write a run archive as the run goes: create the layout, append, flush, finish."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np

from labctl.archive.errors import ArchiveError
from labctl.archive.provenance import git_revision, now_iso, package_version
from labctl.archive.schema import FORMAT, KINDS, SCHEMA_VERSION, Layout

FLUSH_INTERVAL = 2.0
"""Seconds between automatic flushes; a killed run loses at most this much data."""


class ArchiveWriter:
    """One run's HDF5 archive, in single-writer/multiple-reader mode once its layout exists.

    SWMR orders every write so that the file on disk is consistent at all times: a run
    killed at any moment leaves a file that opens and holds everything up to the last flush.
    """

    def __init__(self, path: str | Path, kind: str, layout: Layout, *, backend: str, seed: int,
                 config: dict[str, Any], instruments: dict[str, str] | None = None) -> None:
        if kind not in KINDS:
            raise ArchiveError(f"unknown archive kind {kind!r}: use one of {', '.join(KINDS)}")
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = h5py.File(self.path, "w", libver="latest")
        except OSError as err:
            raise ArchiveError(f"cannot create archive {self.path}: {err}; "
                               "choose a writable --out path") from err
        f = self._file
        f.attrs.update({
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "kind": kind,
            "labctl_version": package_version(),
            "git_revision": git_revision(),
            "created": now_iso(),
            "backend": backend,
            "seed": seed,
            "config": json.dumps(config, sort_keys=True, default=str),
            "instruments": json.dumps(instruments or {}, sort_keys=True),
        })
        for name, table in layout.tables.items():
            ds = f.create_dataset(name, shape=(0,), maxshape=(None,), dtype=table.dtype,
                                  chunks=(table.chunk_rows,), compression="gzip",
                                  compression_opts=4, shuffle=True)
            ds.attrs["units"] = json.dumps(table.units)
        for name, arr in layout.arrays.items():
            ds = f.create_dataset(name, shape=arr.shape, dtype=arr.dtype, fillvalue=arr.fill,
                                  compression="gzip" if arr.compress else None)
            ds.attrs["units"] = arr.units
            for i, dim in enumerate(arr.dims):
                ds.dims[i].label = dim
        f.swmr_mode = True
        self._last_flush = time.monotonic()

    def append(self, table: str, rows: np.ndarray) -> None:
        """Append ``rows`` (of the table's dtype) and flush if the interval has passed."""
        ds = self._file[table]
        rows = np.asarray(rows, dtype=ds.dtype)
        n = ds.shape[0]
        ds.resize((n + rows.shape[0],))
        ds[n:] = rows
        self._maybe_flush()

    def table(self, name: str) -> np.ndarray:
        """Everything appended to table ``name`` so far."""
        return self._file[name][...]

    def write(self, name: str, values: np.ndarray, index: Any = ...) -> None:
        """Write ``values`` into the fixed-shape dataset ``name`` (at ``index``)."""
        self._file[name][index] = values
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Make everything written so far durable."""
        self._file.flush()
        self._last_flush = time.monotonic()

    def move_to(self, path: Path) -> None:
        """Give the archive its final name by an atomic rename; writing goes on."""
        self.flush()
        os.replace(self.path, path)
        self.path = Path(path)

    def close(self, status: str, summary: dict[str, Any]) -> None:
        """Flush, leave SWMR mode, and record how the run ended and its key figures."""
        self._file.flush()
        self._file.close()
        with h5py.File(self.path, "r+") as f:
            f.attrs["status"] = status
            f.attrs["ended"] = now_iso()
            f.attrs["summary"] = json.dumps(summary, sort_keys=True, default=float)

    def abandon(self) -> None:
        """Close after a failure, keeping what was written; the run has no end record."""
        if self._file.id.valid:
            self._file.flush()
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abandon()
