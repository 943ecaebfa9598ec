"""HDF5 archive format, schema version 1: the one place the on-disk layout is written down.

One file per run. Every dataset is created when the run starts (so the writer can switch to
HDF5 single-writer/multiple-reader mode, which keeps the file readable however the writer
dies), tables grow as the run goes and are flushed regularly.

Root attributes (all runs)
    format          "labctl-archive"
    schema_version  1
    kind            "program" | "train"
    labctl_version  package version that wrote the file
    git_revision    commit of the source tree, or "unknown"
    created         start time, ISO 8601, UTC
    backend         "software" | "mock" | "chip"
    seed            int
    config          JSON of the run's full configuration
    instruments     JSON object: role -> identity string (``*IDN?`` or FPGA IDENTIFY)

Attributes written when the run ends (absent in a run that was killed)
    status          "complete" | "interrupted" | "failed"
    ended           end time, ISO 8601, UTC
    summary         JSON of the run's key figures (see labctl.reports)

Kind "program" (``labctl program``)
    /levels         LEVEL_DTYPE, one row per target level; conductances in S
    /writes         WRITE_DTYPE, one row per write-verify of one cell, in order
    /verify         VERIFY_DTYPE, read-back of programmed cells right after programming
                    (delay 0) and after the configured wait
    /maps/tile<k>   float64 (rows, cols) conductance read back after programming, S, NaN where
                    not programmed; dimension labels "row", "col"

Kind "train" (``labctl train``)
    /accuracy       ACCURACY_DTYPE, test accuracy of every task after every epoch
    /epochs         EPOCH_DTYPE, per-epoch training and chip statistics
    /device_writes/<layer>  uint32 (out, in): level writes per weight (one differential pair)
    /checkpoint/a/*, /checkpoint/b/*  two slots of the full training state, written in turn
                    (model/<param>, task_bn/<task>/<param>, optim/<i>/m|v, optim/steps,
                    levels/<layer>, rng)
    /checkpoint/position  int64 [slot, task, epoch, valid]: the slot last written completely
                    and where training continues from it; written after the slot is flushed

Units are SI throughout; each table's column units are in the dataset attribute ``units``
(JSON object: column -> unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FORMAT = "labctl-archive"
SCHEMA_VERSION = 1

LEVEL_DTYPE = np.dtype([
    ("level", "<i2"),
    ("centre", "<f8"),
    ("lo", "<f8"),
    ("hi", "<f8"),
])
LEVEL_UNITS = {"centre": "S", "lo": "S", "hi": "S"}

WRITE_DTYPE = np.dtype([
    ("cell", "<u4"),
    ("tile", "<u2"),
    ("row", "<u2"),
    ("col", "<u2"),
    ("level", "<i2"),
    ("success", "?"),
    ("pulses", "<u2"),
    ("set_pulses", "<u2"),
    ("reset_pulses", "<u2"),
    ("reversals", "<u2"),
    ("g_final", "<f8"),
    ("energy", "<f8"),
    ("time", "<f8"),
])
WRITE_UNITS = {"g_final": "S", "energy": "J", "time": "s"}

VERIFY_DTYPE = np.dtype([
    ("cell", "<u4"),
    ("level", "<i2"),
    ("delay", "<f8"),
    ("g", "<f8"),
])
VERIFY_UNITS = {"delay": "s", "g": "S"}

ACCURACY_DTYPE = np.dtype([
    ("trained_task", "<u1"),
    ("epoch", "<u2"),
    ("eval_task", "<u1"),
    ("accuracy", "<f8"),
])
ACCURACY_UNITS = {"accuracy": "1"}

EPOCH_DTYPE = np.dtype([
    ("task", "<u1"),
    ("epoch", "<u2"),
    ("level_changes", "<u8"),
    ("writes", "<u8"),
    ("pulses", "<u8"),
    ("failed_writes", "<u8"),
    ("link_retries", "<u8"),
    ("bench_time", "<f8"),
    ("wall_time", "<f8"),
])
EPOCH_UNITS = {"bench_time": "s", "wall_time": "s"}


@dataclass(frozen=True)
class Table:
    """An append-only table: a chunked, resizable 1-D dataset of a structured dtype."""

    dtype: np.dtype
    units: dict[str, str]
    chunk_rows: int = 4096


@dataclass(frozen=True)
class Array:
    """A fixed-shape dataset written in place (maps, per-device counters, checkpoints).

    Only arrays written once are compressed: HDF5 cannot rewrite a compressed chunk in
    place, so an array overwritten every epoch would grow the file each time.
    """

    shape: tuple[int, ...]
    dtype: str
    units: str = ""
    dims: tuple[str, ...] = ()
    fill: float = 0.0
    compress: bool = False


@dataclass(frozen=True)
class Layout:
    """Every dataset of one archive, created up front."""

    tables: dict[str, Table] = field(default_factory=dict)
    arrays: dict[str, Array] = field(default_factory=dict)


KINDS = ("program", "train")


def program_layout(tiles: list[int], rows: int, cols: int) -> Layout:
    """Layout of a ``labctl program`` run over the given tiles."""
    return Layout(
        tables={
            "levels": Table(LEVEL_DTYPE, LEVEL_UNITS, chunk_rows=64),
            "writes": Table(WRITE_DTYPE, WRITE_UNITS),
            "verify": Table(VERIFY_DTYPE, VERIFY_UNITS),
        },
        arrays={
            f"maps/tile{t}": Array((rows, cols), "<f8", "S", ("row", "col"), float("nan"),
                                   compress=True)
            for t in tiles
        },
    )


def train_layout(layers: dict[str, tuple[int, int]], extra: dict[str, Array]) -> Layout:
    """Layout of a ``labctl train`` run; ``extra`` adds the checkpoint arrays."""
    arrays = {
        f"device_writes/{name}": Array(shape, "<u4", "writes", ("out", "in"))
        for name, shape in layers.items()
    }
    arrays.update(extra)
    return Layout(
        tables={
            "accuracy": Table(ACCURACY_DTYPE, ACCURACY_UNITS, chunk_rows=256),
            "epochs": Table(EPOCH_DTYPE, EPOCH_UNITS, chunk_rows=256),
        },
        arrays=arrays,
    )
