"""The NeXus skeleton of an archive: entry, instrument, sample, user, notes and NXdata plots.

Generic NeXus viewers (silx, NeXpy, h5web) follow ``default`` attributes from the root to an
NXdata group and plot its ``signal`` against its ``axes``; labctl's own reader ignores all of
this and reads the layout of ``labctl.archive.schema``.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from labctl.archive.provenance import Provenance
from labctl.archive.schema import ENTRY, Plot

_STR = h5py.string_dtype()


def group(parent: h5py.Group, name: str, nx_class: str) -> h5py.Group:
    """``parent/name`` (created with intermediate groups if missing), tagged ``nx_class``."""
    g = parent.require_group(name)
    g.attrs["NX_class"] = nx_class
    return g


def text(parent: h5py.Group, name: str, value: str) -> None:
    """A scalar UTF-8 string dataset, replaced if it exists."""
    if name in parent:
        del parent[name]
    parent.create_dataset(name, data=value, dtype=_STR)


def root(f: h5py.File, created: str) -> h5py.Group:
    """Tag the file as NXroot and create its one NXentry."""
    f.attrs.update({"NX_class": "NXroot", "default": ENTRY, "file_time": created,
                    "creator": "labctl", "HDF5_Version": h5py.version.hdf5_version,
                    "h5py_version": h5py.__version__})
    entry = group(f, ENTRY, "NXentry")
    text(entry, "start_time", created)
    return entry


def plot(entry: h5py.Group, name: str, spec: Plot) -> None:
    """An NXdata group around an already created signal dataset, with dimension scales."""
    g = group(entry, name, "NXdata")
    signal = g[spec.signal]
    g.attrs.update({"signal": spec.signal, "axes": list(spec.axes)})
    for i, (axis, values) in enumerate(spec.axes.items()):
        data = np.asarray(values)
        if data.dtype == object:  # names: fixed-length UTF-8, which can carry a checksum
            encoded = [str(v).encode() for v in data]
            data = np.array(encoded, dtype=h5py.string_dtype("utf-8", max(map(len, encoded))))
        ds = g.create_dataset(axis, data=data, chunks=True, fletcher32=True)
        ds.attrs["units"] = "1"
        ds.make_scale(axis)
        signal.dims[i].attach_scale(ds)
        g.attrs[f"{axis}_indices"] = i
    text(g, "title", spec.title)
    if "default" not in entry.attrs:
        entry.attrs["default"] = name


def describe(entry: h5py.Group, attrs: dict[str, Any], instruments: dict[str, str],
             provenance: Provenance) -> None:
    """Program, configuration, instruments, setup file, parameters, sample and user."""
    text(entry, "program_name", f"labctl {attrs['labctl_version']}")
    note = group(entry, "config", "NXnote")
    text(note, "type", "application/json")
    text(note, "data", attrs["config"])
    instrument = group(entry, "instrument", "NXinstrument")
    for role, identity in instruments.items():
        text(group(instrument, role, "NXcollection"), "name", identity)
    if provenance.setup_text:
        setup = group(instrument, "setup", "NXnote")
        text(setup, "type", "application/toml")
        text(setup, "data", provenance.setup_text)
    for procedure, parameters in provenance.parameters.items():
        params = group(instrument, procedure, "NXcollection")
        for name, (value, unit) in parameters.items():
            ds = params.create_dataset(name, data=value,
                                       dtype=_STR if isinstance(value, str) else None)
            ds.attrs["units"] = unit
    sample = group(entry, "sample", "NXsample")
    text(sample, "name", provenance.sample or "unnamed")
    user = group(entry, "user", "NXuser")
    text(user, "name", provenance.operator)
