"""Open any archive labctl writes (schema 1 or 2), refusing anything else in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np

from labctl.archive.errors import ArchiveError
from labctl.archive.schema import (
    ENTRY,
    FORMAT,
    KINDS,
    READS,
    REQUIRED,
    STATUSES,
    TABLES,
    map_path,
)

MAX_ELEMENTS = 1 << 31
"""Largest dataset a reader loads: a damaged header can claim any shape."""
_SWMR_FLAG = "already open for write"


@dataclass(frozen=True)
class Described:
    """What an archive's file records of one dataset beyond its values."""

    units: str | None
    dims: tuple[str, ...]
    """One label per axis, "" where the axis has none."""
    scales: dict[str, np.ndarray]
    """Coordinate values of the labelled axes that have a dimension scale attached."""


class Archive:
    """Read-only view of a run archive: metadata, tables and arrays."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ArchiveError(f"{self.path}: no such file; give the path of a labctl .h5 archive")
        self._file = _open(self.path)
        try:
            self._read_attributes()
        except BaseException:
            self._file.close()
            raise

    def _read_attributes(self) -> None:
        attrs = self._file.attrs
        if _attr(attrs, "format", str, self.path, required=False) != FORMAT:
            raise ArchiveError(f"{self.path} is an HDF5 file but not a labctl archive "
                               "(no format=labctl-archive attribute)")
        version = _attr(attrs, "schema_version", int, self.path)
        if version > max(READS):
            raise ArchiveError(f"{self.path} uses archive schema {version}, newer than this "
                               f"labctl reads ({max(READS)}): upgrade labctl")
        if version not in READS:
            raise ArchiveError(f"{self.path}: schema_version {version} is not one labctl wrote "
                               "(the file is damaged)")
        self.schema_version = version
        self.kind = _attr(attrs, "kind", str, self.path)
        if self.kind not in KINDS:
            raise ArchiveError(f"{self.path}: unknown run kind {self.kind!r} (the file is "
                               f"damaged, or from a newer labctl: upgrade labctl)")
        self.backend = _attr(attrs, "backend", str, self.path)
        self.seed = _attr(attrs, "seed", int, self.path)
        self.config: dict[str, Any] = _json(attrs, "config", self.path)
        self.instruments: dict[str, str] = _json(attrs, "instruments", self.path)
        self.provenance: dict[str, str] = (_json(attrs, "provenance", self.path)
                                           if "provenance" in attrs else {})
        status = _attr(attrs, "status", str, self.path, required=False)
        if status is not None and status not in STATUSES:
            raise ArchiveError(f"{self.path}: unknown run status {status!r} (the file is "
                               "damaged)")
        self.status = ("incomplete (the run did not finish)" if status in (None, "running")
                       else status)
        self.stored_summary: dict[str, Any] | None = (
            _json(attrs, "summary", self.path) if "summary" in attrs else None)
        self.meta = {k: plain(v) for k, v in attrs.items() if k not in ("config", "summary")}
        self._data = self._file if version == 1 else self._group(ENTRY)

    def _group(self, name: str) -> h5py.Group:
        obj = self._file.get(name)
        if not isinstance(obj, h5py.Group):
            raise ArchiveError(f"{self.path} has no group /{name} (the file is damaged)")
        return obj

    def table(self, name: str) -> np.ndarray:
        """The whole table ``name`` as a structured array of its schema dtype."""
        dtype = TABLES[name]
        if self.schema_version == 1:
            if name == "resumes":  # schema 1 did not record resumes
                return np.zeros(0, dtype)
            return _load(self._data, name, self.path, dtype=dtype)
        return read_table(self._data, name, dtype, self.path)

    def array(self, name: str) -> np.ndarray:
        """The fixed-shape dataset ``name``."""
        return _load(self._data, name, self.path)

    def conductance_map(self, tile: int) -> np.ndarray:
        """The (row, col) conductance map of ``tile`` read back after programming (S)."""
        return self.array(map_path(tile, self.schema_version))

    def maps(self) -> list[int]:
        """Tiles that have a conductance map."""
        if self.schema_version == 1:
            names = self.names("maps")
            return sorted(int(n.removeprefix("tile")) for n in names if n.startswith("tile"))
        return sorted(int(n.removeprefix("map_tile")) for n in self._data
                      if n.startswith("map_tile") and n.removeprefix("map_tile").isdigit())

    def names(self, group: str) -> list[str]:
        """Names of the members of ``group`` (empty if the group is absent)."""
        g = self._data.get(group)
        return sorted(g) if isinstance(g, h5py.Group) else []

    def datasets(self, group: str) -> list[str]:
        """Paths, relative to ``group``, of every dataset below it (recursively)."""
        g = self._data.get(group.rstrip("/"))
        if not isinstance(g, h5py.Group):
            return []
        found: list[str] = []
        g.visititems(lambda name, obj: found.append(name)
                     if isinstance(obj, h5py.Dataset) else None)
        return sorted(found)

    def described(self, name: str) -> Described:
        """What the file says of dataset ``name`` (a table column is ``table/column``): its
        units, dimension labels and attached dimension scales; empty where it says nothing
        (schema 1, or a dataset without them)."""
        ds = self._data.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise ArchiveError(f"{self.path} has no dataset {name!r}")
        try:
            units = plain(ds.attrs["units"]) if "units" in ds.attrs else None
            dims = tuple(str(d.label) for d in ds.dims)
            scales = {}
            for dim, label in zip(ds.dims, dims, strict=True):
                if label and len(dim):
                    scales[label] = _load(self._data, dim[0].name, self.path)
        except (OSError, RuntimeError, KeyError) as err:
            raise ArchiveError(f"{self.path}: dataset {name!r} cannot be described "
                               f"({_first_line(err)}); the file is damaged") from err
        return Described(units if isinstance(units, str) else None, dims, scales)

    def verify(self) -> None:
        """Read every dataset chunk by chunk, so a checksum failure anywhere is found now
        (an ArchiveError naming the dataset) rather than when someone needs the data."""
        found: list[h5py.Dataset] = []
        try:
            self._file.visititems(lambda name, obj: found.append(obj)
                                  if isinstance(obj, h5py.Dataset) else None)
        except (OSError, RuntimeError, KeyError) as err:
            raise ArchiveError(f"{self.path}: the group structure cannot be read "
                               f"({_first_line(err)}); the file is damaged") from err
        for ds in found:
            _verify(ds, self.path)
        if self.schema_version >= 2:
            for name in REQUIRED[self.kind]:
                if name in TABLES:
                    self.table(name)
                else:
                    self.array(name)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def checked(path: str | Path) -> Iterator[Archive]:
    """``path`` opened with its every checksum checked; content that does not fit the schema,
    found while the block reads it, is one ArchiveError, not a crash."""
    with Archive(path) as archive:
        try:
            archive.verify()
            yield archive
        except (KeyError, IndexError, ValueError, TypeError, OSError) as err:
            raise ArchiveError(f"{archive.path} does not hold what a {archive.kind} archive of "
                               f"schema {archive.schema_version} holds ({type(err).__name__}: "
                               f"{err}); the file is damaged") from err


def read_table(entry: h5py.Group, name: str, dtype: np.dtype, path: Path) -> np.ndarray:
    """A schema-2 table (one dataset per column) as a structured array of ``dtype``."""
    group = entry.get(name)
    if not isinstance(group, h5py.Group):
        raise ArchiveError(f"{path} has no table {name!r} (the file is damaged or of another "
                           "kind)")
    columns = {c: _load(group, c, path) for c in dtype.names or ()}
    lengths = {len(v) if v.ndim == 1 else -1 for v in columns.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise ArchiveError(f"{path}: the columns of table {name!r} differ in length or shape "
                           "(the file is damaged)")
    out = np.zeros(lengths.pop(), dtype)
    for column, values in columns.items():
        out[column] = values
    return out


def _verify(ds: h5py.Dataset, path: Path) -> None:
    try:
        if ds.size > MAX_ELEMENTS:
            raise ArchiveError(f"{path}: dataset {ds.name} claims an implausible shape "
                               f"{ds.shape} (the file is damaged)")
        if ds.chunks is None or ds.size == 0:
            ds[()]
            return
        for block in ds.iter_chunks():
            ds[block]
    except (OSError, RuntimeError, ValueError, KeyError) as err:
        raise ArchiveError(f"{path}: dataset {ds.name} cannot be read ({_first_line(err)}); "
                           "the file is damaged") from err


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r", locking=False)
    except (OSError, RuntimeError) as err:
        if _SWMR_FLAG in str(err):
            raise ArchiveError(f"{path} was left open for SWMR writing by a labctl 0.1 run that "
                               "was killed; clear the flag with `h5clear -s` (HDF5 tools) on "
                               "a copy, then read the copy") from err
        raise ArchiveError(f"{path} is not a readable HDF5 file ({_first_line(err)}): it is "
                           "damaged or truncated, or not a labctl .h5 archive") from err


def _load(parent: h5py.Group, name: str, path: Path, dtype: np.dtype | None = None
          ) -> np.ndarray:
    where = f"{parent.name.rstrip('/')}/{name}"
    try:
        ds = parent.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise ArchiveError(f"{path} has no dataset {where}")
        if ds.size > MAX_ELEMENTS:
            raise ArchiveError(f"{path}: dataset {where} claims an implausible shape "
                               f"{ds.shape} (the file is damaged)")
        values = ds[...]
    except (OSError, RuntimeError, ValueError, KeyError) as err:
        raise ArchiveError(f"{path}: dataset {where} cannot be read ({_first_line(err)}); "
                           "the file is damaged") from err
    if dtype is not None:
        try:
            values = values.astype(dtype)
        except (TypeError, ValueError) as err:
            raise ArchiveError(f"{path}: dataset {where} is not a {name} table "
                               "(the file is damaged)") from err
    return values


def _attr(attrs: h5py.AttributeManager, name: str, kind: type, path: Path,
          required: bool = True) -> Any:
    try:
        value = attrs[name]
    except KeyError:
        if required:
            raise ArchiveError(f"{path} lacks the root attribute {name!r} "
                               "(the file is damaged)") from None
        return None
    except (OSError, RuntimeError) as err:
        raise ArchiveError(f"{path}: root attribute {name!r} cannot be read "
                           f"({_first_line(err)})") from err
    value = plain(value)
    if kind is int and isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    if kind is str and isinstance(value, str):
        return value
    raise ArchiveError(f"{path}: root attribute {name!r} = {value!r:.40} is not a "
                       f"{kind.__name__} (the file is damaged)")


def _json(attrs: h5py.AttributeManager, name: str, path: Path) -> Any:
    text = _attr(attrs, name, str, path)
    try:
        value = json.loads(text)
    except ValueError as err:
        raise ArchiveError(f"{path}: root attribute {name!r} is not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise ArchiveError(f"{path}: root attribute {name!r} is not a JSON object")
    return value


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def plain(value: Any) -> Any:
    """An attribute value as plain Python: numpy scalars unwrapped, bytes decoded."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value
