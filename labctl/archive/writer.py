"""Write a run archive as the run goes: append and overwrite in memory, commit atomically."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Self

import h5py
import numpy as np

from drivers.errors import LabError
from labctl.archive import nexus
from labctl.archive.errors import ArchiveError
from labctl.archive.provenance import Provenance, git_revision, now_iso, package_version
from labctl.archive.reader import plain, read_table
from labctl.archive.schema import (
    ENTRY,
    FORMAT,
    KINDS,
    LIBVER,
    SCHEMA_VERSION,
    TABLE_SPECS,
    Layout,
    Table,
)

COMMIT_INTERVAL = 1.0
"""Most seconds between automatic commits: a killed run loses at most this much data."""


class ArchiveWriter:
    """One run's HDF5 archive (layout in ``labctl.archive.schema``), always complete on disk.

    Changes are kept in memory and published by :meth:`commit`, which writes them into a copy
    of the file and renames the copy over it; the file at ``path`` is therefore a closed,
    consistent HDF5 file at every instant, whenever and however the process dies.
    """

    def __init__(self, path: str | Path, kind: str, layout: Layout, *, backend: str, seed: int,
                 config: dict[str, Any], instruments: dict[str, str] | None = None,
                 provenance: Provenance | None = None, created: str | None = None,
                 publish: bool = True) -> None:
        if kind not in KINDS:
            raise ArchiveError(f"unknown archive kind {kind!r}: use one of {', '.join(KINDS)}")
        self.path = Path(path)
        self.layout = layout
        provenance = provenance or Provenance()
        self._attrs: dict[str, Any] = {
            "format": FORMAT, "schema_version": SCHEMA_VERSION, "kind": kind,
            "labctl_version": package_version(), "git_revision": git_revision(),
            "created": created or now_iso(), "backend": backend, "seed": seed,
            "config": json.dumps(config, sort_keys=True, default=str),
            "instruments": json.dumps(instruments or {}, sort_keys=True),
            "provenance": json.dumps(provenance.environment(), sort_keys=True),
            "status": "running",
        }
        self._provenance = provenance
        self._instruments = instruments or {}
        self._appends: dict[str, list[np.ndarray]] = {}
        self._writes: list[tuple[str, Any, np.ndarray]] = []
        self._published = False
        self._committed_attrs: dict[str, Any] = {}
        self._depth = 0
        self._last_commit = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ArchiveError(f"cannot create archive {self.path}: {err}; "
                               "choose a writable --out path") from err
        if publish:
            self.commit()

    # ----------------------------------------------------------------- recording
    def append(self, table: str, rows: np.ndarray) -> None:
        """Append ``rows`` (of the table's dtype) and commit if the interval has passed."""
        spec = self.layout.tables[table]
        self._appends.setdefault(table, []).append(np.array(rows, dtype=spec.dtype, ndmin=1))
        self._maybe_commit()

    def write(self, name: str, values: np.ndarray, index: Any = ...) -> None:
        """Write ``values`` into the fixed-shape dataset ``name`` (at ``index``)."""
        if name not in self.layout.arrays:
            raise ArchiveError(f"{self.path}: the layout has no dataset {name!r}")
        self._writes.append((name, index, np.array(values)))
        self._maybe_commit()

    @contextmanager
    def together(self) -> Iterator[None]:
        """Changes made in the block reach a commit all together or, if the block raises
        (Ctrl-C included), not at all."""
        appends = {name: len(blocks) for name, blocks in self._appends.items()}
        writes, attrs = len(self._writes), dict(self._attrs)
        self._depth += 1
        try:
            yield
        except BaseException:
            while True:  # a second Ctrl-C during the rollback starts it again (it is idempotent)
                try:
                    for name in list(self._appends):
                        del self._appends[name][appends.get(name, 0):]
                    del self._writes[writes:]
                    self._attrs = attrs
                    break
                except KeyboardInterrupt:
                    continue
            raise
        finally:
            self._depth -= 1

    def table(self, name: str) -> np.ndarray:
        """Everything appended to table ``name`` so far (committing first)."""
        self.commit()
        with h5py.File(self.path, "r", locking=False) as f:
            return read_table(f[ENTRY], name, self.layout.tables[name].dtype, self.path)

    def _maybe_commit(self) -> None:
        if self._depth == 0 and time.monotonic() - self._last_commit >= COMMIT_INTERVAL:
            self.commit()

    # ----------------------------------------------------------------- publishing
    def commit(self) -> None:
        """Publish every change so far: write them into a copy, sync it, rename it over
        (nothing to do when nothing changed since the last commit)."""
        unchanged = not (any(self._appends.values()) or self._writes
                         or self._attrs != self._committed_attrs)
        if self._published and unchanged:
            return
        with _interrupts_deferred():
            self._publish()
            self._published = True
            self._committed_attrs = dict(self._attrs)
            self._appends.clear()
            self._writes.clear()
            self._last_commit = time.monotonic()

    def _publish(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.commit")
        try:
            if self._published:
                shutil.copyfile(self.path, tmp)
            with h5py.File(tmp, "r+" if self._published else "w", libver=LIBVER,
                           locking=False) as f:
                if not self._published:
                    self._create(f)
                self._apply(f)
            _fsync(tmp)
            os.replace(tmp, self.path)
            _fsync(self.path.parent)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise ArchiveError(f"cannot write archive {self.path}: {err}; the file keeps its "
                               "last commit: free space or choose another --out") from err

    def _create(self, f: h5py.File) -> None:
        entry = nexus.root(f, self._attrs["created"])
        for name, table in self.layout.tables.items():
            _create_table(entry, name, table)
        for name, arr in self.layout.arrays.items():
            fill = arr.fill if np.dtype(arr.dtype).kind == "f" else None
            ds = entry.create_dataset(name, shape=arr.shape, dtype=arr.dtype,
                                      fillvalue=fill, chunks=True, fletcher32=True,
                                      compression="gzip" if arr.compress else None)
            ds.attrs["units"] = arr.units
            for i, dim in enumerate(arr.dims):
                ds.dims[i].label = dim
        for name, plot in self.layout.plots.items():
            nexus.plot(entry, name, plot)
        nexus.describe(entry, self._attrs, self._instruments, self._provenance)

    def _apply(self, f: h5py.File) -> None:
        for key, value in self._attrs.items():
            if key not in f.attrs or plain(f.attrs[key]) != value:  # a rewrite grows the file
                f.attrs[key] = value
        entry = f[ENTRY]
        for name, blocks in self._appends.items():
            if blocks:
                _append_rows(entry[name], np.concatenate(blocks))
        for name, index, values in self._writes:
            entry[name][index] = values
        if "ended" in self._attrs:
            nexus.text(entry, "end_time", self._attrs["ended"])

    # ----------------------------------------------------------------- ending
    def close(self, status: str, summary: dict[str, Any]) -> None:
        """Record how the run ended and its key figures, and commit; a Ctrl-C meanwhile (a
        second press, say) waits until the file says how the run ended."""
        with _interrupts_deferred():
            self._attrs.update(status=status, ended=now_iso(),
                               summary=json.dumps(summary, sort_keys=True, default=float))
            self.commit()

    def fail(self, reason: str) -> None:
        """Commit what the run took and mark it failed with ``reason`` (one line)."""
        with _interrupts_deferred():
            self._attrs.update(status="failed", ended=now_iso(), error=reason)
            self.commit()

    def abandon(self) -> None:
        """Commit what was taken after a failure whose cause is not known here."""
        if self._attrs["status"] == "running":
            self.fail("the run stopped on an unexpected error (see the log)")

    @contextmanager
    def ending(self, taken: str) -> Iterator[None]:
        """Close the archive as the block ends badly: Ctrl-C as "interrupted" (then a LabError
        saying the archive holds ``taken``), a LabError as "failed", anything else abandoned."""
        try:
            yield
        except KeyboardInterrupt:
            self.close("interrupted", {})
            raise LabError(f"interrupted; bench left safe, archive {self.path} holds {taken}"
                           ) from None
        except LabError as err:
            self.fail(str(err))
            raise
        except BaseException:
            self.abandon()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abandon()


def append_to_closed(path: Path, name: str, rows: np.ndarray) -> None:
    """Append ``rows`` to table ``name`` of the ended run archived in ``path`` (creating the
    table if the file has none yet), with the writer's atomic commit: the file holds all of
    them or none, whenever the process dies."""
    spec = TABLE_SPECS[name]
    tmp = path.with_name(f".{path.name}.commit")
    with _interrupts_deferred():
        try:
            shutil.copyfile(path, tmp)
            with h5py.File(tmp, "r+", locking=False) as f:
                entry = f[ENTRY]
                group = entry[name] if name in entry else _create_table(entry, name, spec)
                _append_rows(group, np.array(rows, dtype=spec.dtype, ndmin=1))
            _fsync(tmp)
            os.replace(tmp, path)
            _fsync(path.parent)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise ArchiveError(f"cannot write archive {path}: {err}; the file is as it was: "
                               "free space or make it writable") from err


def _create_table(entry: h5py.Group, name: str, table: Table) -> h5py.Group:
    """An empty table: one resizable, compressed, checksummed dataset per column."""
    group = nexus.group(entry, name, "NXcollection")
    group.attrs["columns"] = list(table.dtype.names or ())
    for column in table.dtype.names or ():
        ds = group.create_dataset(column, shape=(0,), maxshape=(None,),
                                  dtype=table.dtype[column], chunks=(table.chunk_rows,),
                                  compression="gzip", compression_opts=4, shuffle=True,
                                  fletcher32=True)
        ds.attrs["units"] = table.unit(column)
        ds.dims[0].label = table.dim
    return group


def _append_rows(group: h5py.Group, rows: np.ndarray) -> None:
    for column in rows.dtype.names or ():
        ds = group[column]
        n = ds.shape[0]
        ds.resize((n + rows.size,))
        ds[n:] = rows[column]


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block is done, so a commit is never cut in half; a
    press during the block reaches the handler it would have reached, afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[FrameType | None] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        if callable(previous):
            previous(signal.SIGINT, pressed[0])
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
