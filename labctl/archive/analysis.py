"""Archives as xarray objects, for analysis in Python and export to netCDF and CSV.

An archive opens as one ``xarray.DataTree``: the run's metadata as the root's attributes, one
node per table (a Dataset along the table's row dimension, one variable per column) and one
node per array (conductance maps, accuracy curves, writes per device), with the dimension
names, coordinates and units the file records. Checkpoints are left out: they are state to
resume from, not results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from labctl.archive.paths import archive_path
from labctl.archive.reader import Archive, checked
from labctl.archive.schema import TABLE_SPECS, map_path

ROOT_ATTRIBUTES = ("kind", "status", "backend", "seed", "schema_version", "created", "ended",
                   "error", "labctl_version", "git_revision")
"""Run metadata copied to the tree's root, as they are."""


def open_archive(path: str | Path) -> xr.DataTree:
    """The archive at ``path`` as a DataTree of Datasets with named dimensions, coordinates
    and units; any file that is not a readable labctl archive is one ArchiveError.

    A sweep (its folder, or its index) is one Dataset at the tree's root: see ``open_sweep``.
    """
    with checked(archive_path(Path(path))) as archive:
        if archive.kind == "sweep":
            return xr.DataTree(_sweep_dataset(archive))
        nodes = {f"/{name}": _table(archive, name) for name in _tables(archive)}
        nodes.update(_arrays(archive))
        root = xr.Dataset(attrs=_root_attributes(archive))
    return xr.DataTree.from_dict({"/": root, **nodes})


def open_sweep(path: str | Path) -> xr.Dataset:
    """A sweep (its folder, or its index ``sweep.h5``) as one Dataset: a dimension per axis of
    its grid (zipped options share one, the others its coordinates), every key figure and
    the runs' status, archive and attempts as variables; figures are NaN where a run is not
    complete. ``accuracy`` adds dimensions ``after`` (the task trained last) and ``task``."""
    return open_archive(path).to_dataset()


def _sweep_dataset(archive: Archive) -> xr.Dataset:
    factors = [list(names) for names in archive.config["factors"]]
    positions = archive.array("runs/position")
    dims = tuple(names[0] for names in factors)
    shape = tuple(int(positions[:, f].max()) + 1 for f in range(len(factors)))
    at = tuple(positions.T)
    first = {(f, step): int(np.flatnonzero(positions[:, f] == step)[0])
             for f in range(len(factors)) for step in range(shape[f])}
    coords = {}
    for f, names in enumerate(factors):
        for name in names:
            values = _decoded(archive.array(f"axes/{name}"))
            coords[name] = (dims[f], values[[first[f, s] for s in range(shape[f])]])

    def placed(values: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(shape + values.shape[1:], fill, dtype=values.dtype)
        out[at] = values
        return out

    told = {"accuracy": "test accuracy on task after training on after",
            **archive.config.get("figures", {})}
    variables = {}
    for name in archive.names("figures"):
        values = archive.array(f"figures/{name}")
        extra = ("after", "task") if name == "accuracy" else ()
        attrs = {"units": archive.described(f"figures/{name}").units or "1"}
        if name in told:
            attrs["long_name"] = told[name]
        variables[name] = xr.Variable(dims + extra, placed(values, np.nan), attrs)
    for name in ("status", "archive", "label", "key", "error"):
        variables[name] = xr.Variable(dims, placed(_decoded(archive.array(f"runs/{name}")), ""))
    variables["attempts"] = xr.Variable(dims, placed(archive.array("runs/attempts"), 0))
    tasks = list(archive.config.get("tasks", []))
    if tasks:
        coords.update(after=tasks, task=tasks)
    return xr.Dataset(variables, coords=coords, attrs=_root_attributes(archive))


def _root_attributes(archive: Archive) -> dict[str, Any]:
    attrs: dict[str, Any] = {k: archive.meta[k] for k in ROOT_ATTRIBUTES if k in archive.meta}
    attrs["status"] = archive.status
    for name, value in (("config", archive.config), ("instruments", archive.instruments),
                        ("provenance", archive.provenance)):
        attrs[name] = json.dumps(value, sort_keys=True)
    if archive.stored_summary is not None:
        attrs["summary"] = json.dumps(archive.stored_summary, sort_keys=True, default=float)
    return attrs


def _tables(archive: Archive) -> list[str]:
    present = set(archive.names("."))
    return [name for name in TABLE_SPECS if name in present]


def _table(archive: Archive, name: str) -> xr.Dataset:
    """One table along its row dimension, each column with the units the file gives it; a
    column named like the dimension is its coordinate."""
    spec = TABLE_SPECS[name]
    rows = archive.table(name)
    told = {column: archive.described(f"{name}/{column}") if archive.schema_version >= 2
            else None for column in rows.dtype.names or ()}
    dim = next((t.dims[0] for t in told.values() if t and t.dims and t.dims[0]), spec.dim)
    if dim in told and len(np.unique(rows[dim])) < len(rows):
        dim = spec.dim  # a file written before the dimension was renamed apart from a column
    variables = {column: xr.Variable((dim,), rows[column],
                                     {"units": _cf(t.units if t and t.units
                                                   else spec.unit(column))})
                 for column, t in told.items()}
    return xr.decode_cf(xr.Dataset(variables))


def _cf(units: str) -> str:
    """``units`` in the CF spelling xarray decodes: "s since <epoch>" becomes "seconds since
    <epoch>", so time stamps open as datetimes."""
    return "seconds since " + units.removeprefix("s since ") if units.startswith("s since ") \
        else units


def _arrays(archive: Archive) -> dict[str, xr.Dataset]:
    """Every result array, each a node: maps, accuracy curves, writes per device."""
    nodes: dict[str, xr.Dataset] = {}
    for tile in archive.maps():
        nodes[f"/map_tile{tile}"] = _dataset(archive, map_path(tile, archive.schema_version),
                                             "conductance", ("row", "col"), "S")
    if archive.kind == "train":
        if "accuracy_curves" in archive.names("."):  # schema 1 kept only the table
            nodes["/accuracy_curves"] = _dataset(archive, "accuracy_curves/accuracy",
                                                 "accuracy", ("epoch", "task"), "1")
        for layer in archive.names("device_writes"):
            nodes[f"/device_writes/{layer}"] = _dataset(
                archive, f"device_writes/{layer}", "writes", ("out", "in"), "1")
    return nodes


def _dataset(archive: Archive, path: str, variable: str, dims: tuple[str, ...],
             units: str) -> xr.Dataset:
    """The array at ``path`` as ``variable`` of a Dataset, with the file's dimension labels,
    scales and units where it records them and the schema's otherwise."""
    values = archive.array(path)
    told = archive.described(path)
    names = tuple(label or default for label, default in zip(told.dims, dims, strict=True))
    coords = {dim: _decoded(scale) for dim, scale in told.scales.items()}
    return xr.Dataset({variable: xr.Variable(names, values, {"units": told.units or units})},
                      coords=coords)


def _decoded(values: np.ndarray) -> np.ndarray:
    """Coordinate values as Python strings where HDF5 stored bytes."""
    if values.dtype.kind in "OS":
        return np.array([v.decode(errors="replace") if isinstance(v, bytes) else str(v)
                         for v in values])
    return values


def to_netcdf(tree: xr.DataTree, out: Path) -> Path:
    """Write ``tree`` as one netCDF-4 file, a group per node (readable by any netCDF tool)."""
    tree.to_netcdf(out, engine="h5netcdf", invalid_netcdf=False)
    return out


def to_csv(tree: xr.DataTree, out: Path) -> list[Path]:
    """Write each node of ``tree`` as ``<node>.csv`` in directory ``out`` (one row per table
    row, or per element of an array, units in the column names), with the run's metadata in
    ``run.json``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for node in tree.subtree:
        if not node.has_data:
            continue
        ds = node.to_dataset()
        frame = ds.to_dataframe()
        frame.columns = [_labelled(name, ds[name].attrs.get("units")) for name in frame.columns]
        frame.index.names = [_labelled(str(name), ds[name].attrs.get("units"))
                             if name in ds.variables else str(name)
                             for name in frame.index.names]
        file = out / f"{node.path.strip('/').replace('/', '-') or 'sweep'}.csv"
        frame.to_csv(file)
        written.append(file)
    meta = {k: json.loads(v) if k in ("config", "instruments", "provenance", "summary") else v
            for k, v in tree.attrs.items()}
    (out / "run.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
    return [*written, out / "run.json"]


def _labelled(name: str, units: str | None) -> str:
    return f"{name} ({units})" if units and units != "1" else name
