"""HDF5 archive format, schema version 2: the one place the on-disk layout is written down.

One file per run, a NeXus file (``NXroot`` > ``NXentry``) that any HDF5 1.10 or later reads:
objects are written in the 1.10 format (libver bounds v110, v110) and every dataset is
chunked with a fletcher32 checksum.

Crash consistency: the file at its path is always a complete, closed HDF5 file. The writer
keeps what a run produces in memory and publishes it at every commit by copying the file,
writing the changes into the copy, syncing it and renaming it over the original (atomic on
POSIX and Windows). A run killed at any instant therefore leaves the last commit, which any
HDF5 reader opens without SWMR mode or ``h5clear``; ``program`` commits at least every
second, ``train`` once per epoch (record and checkpoint in one commit).

Root attributes (all runs)
    NX_class        "NXroot"; ``default`` = "entry"
    format          "labctl-archive"
    schema_version  2
    kind            "program" | "train" | "read" | "sweep" | "iv" | "retention" | "endurance"
                    | "disturb"
    labctl_version, git_revision   what wrote the file (revision "unknown" outside git)
    created         start time, ISO 8601, UTC (kept across resumes)
    backend         "software" | "mock" | "chip"
    seed            int
    config          JSON of the run's full configuration
    instruments     JSON object: role -> identity string (``*IDN?`` or FPGA IDENTIFY)
    provenance      JSON object: host, operator, sample, python, numpy, torch, h5py, hdf5
    status          "running" while the run goes, then "complete" | "interrupted" | "failed"
    ended           end time, ISO 8601, UTC (once the run has ended)
    error           one line: why a "failed" run failed
    summary         JSON of the run's key figures (see labctl.reports), when complete

/entry (NXentry; ``default`` names its NXdata group)
    start_time, end_time          ISO 8601 strings (NeXus); end_time once ended
    program_name                  "labctl <version>"
    config                        NXnote: the config JSON (type application/json)
    instrument                    NXinstrument: one NXcollection per role (``name`` = its
                                  identity), ``setup`` NXnote (the setup file's TOML, if any),
                                  ``write_verify`` NXcollection (every write-verify parameter
                                  the run used, one dataset each with its ``units``)
    sample                        NXsample: ``name`` (chip or sample id)
    user                          NXuser: ``name`` (operator)

Tables are NXcollection groups with one 1-D dataset per column, all of one length; every
column has a ``units`` attribute ("1" for counts, indices and flags); the group's ``columns``
attribute lists them in order (the dtypes below).

Kind "program" (``labctl program``)
    levels          LEVEL_DTYPE, one row per target level; conductances in S
    writes          WRITE_DTYPE, one row per write-verify of one cell, in order
    verify          VERIFY_DTYPE, read-back of programmed cells right after programming
                    (delay 0), once more straight after it (``delay`` the time since
                    programming ended, so the two differ by read noise alone), and after the
                    configured wait
    gate_response   GATE_RESPONSE_DTYPE, the gate calibration's readings: one row per gate
                    voltage per sampled cell, the conductance one SET from a deep RESET
                    reached at that gate (``g``, S) and the conductance after that deep RESET
                    (``g_reset``: two RESET pulses at the write-verify's reset_max and
                    reset_gate from the previous gate's SET, S); absent from archives written
                    before it
    reset_response  RESET_RESPONSE_DTYPE, the RESET-gate sweep on the same cells: one row per
                    gate voltage per cell, the conductance after a deep RESET and one SET at
                    ``set_gate`` (``g_set``, S) and after one RESET pulse at the write-verify's
                    reset_max and width with the gate at ``gate`` (``g_reset``, S); absent from
                    archives written before it
    map_tile<k>     NXdata: ``conductance`` (row, col) read back after programming, S, NaN
                    where not programmed; dimension scales ``row``, ``col``; the default plot

Kind "read" (``labctl read``)
    reads           READ_DTYPE, one row per cell read once at the bench's read voltage
    map_tile<k>     NXdata: ``conductance`` (row, col), S, NaN outside the region read;
                    dimension scales ``row``, ``col``; the default plot

Kind "iv" (``labctl iv``: quasi-static I-V sweeps of single cells)
    points          IV_POINT_DTYPE, one row per point of every branch, in the order measured:
                    the cell's voltage ``v`` = V_BL - V_SL (V; RESET branches negative) and
                    current ``i`` from bit line to source line (A); ``branch`` 0 forming,
                    1 SET, 2 RESET; ``cycle`` 0 for forming, then 1..cycles
    switching       SWITCH_DTYPE, one row per branch: ``v_switch`` (V_form, V_set or
                    |V_reset|, V; NaN if it did not switch) and ``r_before``, the resistance
                    at the read voltage on the way up (R_off of a SET branch, R_on of a RESET
                    branch, Ω)

Kind "retention" (``labctl retention``: a region programmed, then read at log-spaced times)
    levels          LEVEL_DTYPE, as for "program"
    writes          WRITE_DTYPE, as for "program"
    retention       RETENTION_DTYPE, one row per cell per read-back: ``read`` (its index in
                    the schedule), ``time`` after programming ended (s), the cell, its target
                    level and the conductance read (S)
    programmed_at   (1,) f8, when programming ended on a real bench (s since 1970-01-01 UTC;
                    NaN on the simulated chip, whose clock is its own): what a resumed run
                    counts the schedule from

Kind "endurance" (``labctl endurance``: SET/RESET cycling, the window read at growing intervals)
    endurance       ENDURANCE_DTYPE, one row per probed cycle per cell still cycling: the
                    read ``point`` (its index), the ``cycle`` (cycles done when read), the
                    cell, ``g_lrs`` read after that cycle's SET and ``g_hrs`` after its RESET
                    (S); a cell none of whose probes at a point opened a window g_lrs - g_hrs
                    of the run's ``min_window`` has failed there and has no later rows

Kind "disturb" (``labctl disturb``: a region programmed, then stressed by reads or a DC bias)
    levels          LEVEL_DTYPE, as for "program"
    writes          WRITE_DTYPE, as for "program"
    disturb         DISTURB_DTYPE, one row per cell per read-back: ``point`` (0 before any
                    stress), ``stress`` so far (reads of each stressed cell, or seconds of
                    bias, as the run's ``stress`` says), ``time`` after programming ended
                    (s), the cell, whether it is ``stressed`` (else an unstressed control),
                    its target level and the conductance read (S)

Kind "train" (``labctl train``)
    accuracy        ACCURACY_DTYPE, test accuracy of every task after every epoch
    epochs          EPOCH_DTYPE, per-epoch training and chip statistics, one row per epoch
                    of the run (dimension ``run_epoch``; ``epoch`` counts within the task)
    resumes         RESUME_DTYPE, one row per ``--resume`` of the run
    layer_epochs    LAYER_EPOCH_DTYPE, per layer per epoch (``layer`` k is fc<k>; ``on`` as in
                    ``mapping``, 2 on the software backend): weights written, pulses, failed
                    writes and the level read-back error (fraction of the layer's cells
                    nearer another level's centre) at the epoch's end; none in archives
                    written before it
    mapping         MAPPING_DTYPE, where the weights sit (``labctl.learning.mapping``): one
                    row per block of a layer (``layer`` k is fc<k>), its inputs (word lines
                    0 on) and outputs (bit-line pairs from ``col`` on) on array ``tile``; ``on``
                    0 the bench's chip, 1 the digital twin; no rows on the software backend,
                    none in archives written before it
    evaluation      EVALUATION_DTYPE, added to a complete run by ``labctl evaluate``: one row
                    per task per read-back of the weights left unwritten ``after`` the last
                    checkpoint (s; ``elapsed`` the time that had actually passed, simulated on
                    the mock chip), ``refreshed`` 0 as read, 1 after rewriting the weights that
                    drifted off their level (``writes``, ``pulses``, ``failed_writes`` and
                    ``bench_time`` what that took, 0 on unrefreshed rows), the cells' level
                    ``readback_error`` then, and when (``time``); ``session`` counts the
                    ``labctl evaluate`` runs from 1; absent until the first. The table is
                    appended to the closed file in one atomic commit per read-back
    accuracy_curves NXdata: ``accuracy`` (epoch, task), NaN until trained; scales ``epoch``
                    (1-based, over all tasks) and ``task`` (names); the default plot
    device_writes/<layer>  uint32 (out, in): level writes per weight (one differential pair)
    checkpoint/state/*     the full training state after the last committed epoch
                    (model/<param>, task_bn/<task>/<param>, optim/<i>/m|v, optim/steps,
                    levels/<layer>, rng, run/*, store/*, and sim/* on the mock chip)
    checkpoint/position    int64 [task, epoch, valid]: where training continues

Kind "sweep" (``labctl sweep``: the index ``DIR/sweep.h5`` of a sweep's runs)
    Root ``config`` is the sweep: ``spec`` (command, options, grid, zip as the SPEC.toml
    gave them), ``identity`` (hash of the spec), ``factors`` (the grid's axes: a list of
    lists of option names, one list per zipped group), ``tasks`` (every task trained, in
    order), ``figures`` (name -> what each key figure is). ``backend`` lists the runs'
    backends comma-separated; ``seed`` is -1 (each run's own is in its config). One row
    per run along dimension ``run``, in grid order:
    runs/key        S16, stable hash of the run's command and resolved configuration
    runs/archive    bytes, the run's archive relative to the sweep's folder
    runs/label      bytes, the grid point (``seed=0, meta=3``)
    runs/config     bytes, JSON of the run's resolved configuration
    runs/position   int32 (run, factor): index of the run along every factor of the grid
    runs/status     S11, "pending" | "running" | "complete" | "failed", updated as runs go
    runs/attempts   uint16, times a worker has started or resumed the run (counted by the
                    workers in ``runs/<name>.attempts`` beside each archive)
    runs/error      bytes (at most 400), why a failed run failed
    axes/<option>   the value every run has of each swept option (JSON text for lists)
    figures/<name>  float64, the run's key figures (NaN until complete), with ``units``
    figures/accuracy float64 (run, after, task): accuracy on ``task`` after training on
                    ``after`` (both the ``tasks`` of config), NaN where not trained

Schema 1 (labctl 0.1) kept the tables as compound datasets at the root, the maps at
``/maps/tile<k>``, and two checkpoint slots ``/checkpoint/a|b`` with position
[slot, task, epoch, valid]; ``labctl.archive.Archive`` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FORMAT = "labctl-archive"
SCHEMA_VERSION = 2
READS = (1, 2)
"""Schema versions this labctl reads."""
LIBVER = ("v110", "v110")
"""HDF5 object format bounds: readable by HDF5 1.10 and every later release."""
ENTRY = "entry"

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

GATE_RESPONSE_DTYPE = np.dtype([
    ("gate", "<f8"),
    ("cell", "<u4"),
    ("g", "<f8"),
    ("g_reset", "<f8"),
])
GATE_RESPONSE_UNITS = {"gate": "V", "g": "S", "g_reset": "S"}

RESET_RESPONSE_DTYPE = np.dtype([
    ("gate", "<f8"),
    ("set_gate", "<f8"),
    ("cell", "<u4"),
    ("g_set", "<f8"),
    ("g_reset", "<f8"),
])
RESET_RESPONSE_UNITS = {"gate": "V", "set_gate": "V", "g_set": "S", "g_reset": "S"}

READ_DTYPE = np.dtype([
    ("cell", "<u4"),
    ("tile", "<u2"),
    ("row", "<u2"),
    ("col", "<u2"),
    ("g", "<f8"),
])
READ_UNITS = {"g": "S"}

ACCURACY_DTYPE = np.dtype([
    ("trained_task", "<u1"),
    ("epoch", "<u2"),
    ("eval_task", "<u1"),
    ("accuracy", "<f8"),
])
ACCURACY_UNITS: dict[str, str] = {}

LAYER_EPOCH_DTYPE = np.dtype([
    ("task", "<u1"),
    ("epoch", "<u2"),
    ("layer", "<u1"),
    ("on", "<u1"),
    ("writes", "<u8"),
    ("pulses", "<u8"),
    ("failed_writes", "<u8"),
    ("readback_error", "<f8"),
])
LAYER_EPOCH_UNITS: dict[str, str] = {}

MAPPING_DTYPE = np.dtype([
    ("layer", "<u1"),
    ("input_start", "<u4"),
    ("input_stop", "<u4"),
    ("output_start", "<u4"),
    ("output_stop", "<u4"),
    ("tile", "<u2"),
    ("col", "<u2"),
    ("on", "<u1"),
])
MAPPING_UNITS: dict[str, str] = {}

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

IV_POINT_DTYPE = np.dtype([
    ("cell", "<u4"),
    ("tile", "<u2"),
    ("row", "<u2"),
    ("col", "<u2"),
    ("cycle", "<u2"),
    ("branch", "<u1"),
    ("point", "<u2"),
    ("v", "<f8"),
    ("i", "<f8"),
])
IV_POINT_UNITS = {"v": "V", "i": "A"}

SWITCH_DTYPE = np.dtype([
    ("cell", "<u4"),
    ("tile", "<u2"),
    ("row", "<u2"),
    ("col", "<u2"),
    ("cycle", "<u2"),
    ("branch", "<u1"),
    ("v_switch", "<f8"),
    ("r_before", "<f8"),
])
SWITCH_UNITS = {"v_switch": "V", "r_before": "ohm"}

RETENTION_DTYPE = np.dtype([
    ("read", "<u2"),
    ("time", "<f8"),
    ("cell", "<u4"),
    ("level", "<i2"),
    ("g", "<f8"),
])
RETENTION_UNITS = {"time": "s", "g": "S"}

ENDURANCE_DTYPE = np.dtype([
    ("point", "<u2"),
    ("cycle", "<u8"),
    ("cell", "<u4"),
    ("tile", "<u2"),
    ("row", "<u2"),
    ("col", "<u2"),
    ("g_lrs", "<f8"),
    ("g_hrs", "<f8"),
])
ENDURANCE_UNITS = {"cycle": "cycles", "g_lrs": "S", "g_hrs": "S"}

DISTURB_DTYPE = np.dtype([
    ("point", "<u2"),
    ("stress", "<f8"),
    ("time", "<f8"),
    ("cell", "<u4"),
    ("stressed", "?"),
    ("level", "<i2"),
    ("g", "<f8"),
])
DISTURB_UNITS = {"time": "s", "g": "S"}
"""``stress`` carries no unit: it counts reads or seconds, as the run's ``stress`` says."""

RESUME_DTYPE = np.dtype([
    ("time", "<f8"),
    ("task", "<u1"),
    ("epoch", "<u2"),
])
RESUME_UNITS = {"time": "s since 1970-01-01T00:00:00Z"}

EVALUATION_DTYPE = np.dtype([
    ("session", "<u2"),
    ("after", "<f8"),
    ("elapsed", "<f8"),
    ("refreshed", "u1"),
    ("task", "u1"),
    ("accuracy", "<f8"),
    ("writes", "<u4"),
    ("pulses", "<u8"),
    ("failed_writes", "<u4"),
    ("bench_time", "<f8"),
    ("readback_error", "<f8"),
    ("time", "<f8"),
])
EVALUATION_UNITS = {"after": "s", "elapsed": "s", "bench_time": "s",
                    "time": "s since 1970-01-01T00:00:00Z"}


@dataclass(frozen=True)
class Table:
    """An append-only table: one resizable 1-D dataset per column of ``dtype``."""

    dtype: np.dtype
    units: dict[str, str]
    dim: str
    """Name of the row dimension (what one row is)."""
    chunk_rows: int = 4096

    def unit(self, column: str) -> str:
        return self.units.get(column, "1")


@dataclass(frozen=True)
class Array:
    """A fixed-shape dataset written in place (maps, per-device counters, checkpoints).

    Only arrays written once are compressed: HDF5 cannot rewrite a compressed chunk in
    place, so an array overwritten every epoch would grow the file each time.
    """

    shape: tuple[int, ...]
    dtype: str
    units: str = "1"
    dims: tuple[str, ...] = ()
    fill: float = 0.0
    compress: bool = False


@dataclass(frozen=True)
class Plot:
    """An NXdata group: ``signal`` (an Array of the layout, inside the group) against its
    dimension scales, each a 1-D dataset of given values."""

    signal: str
    axes: dict[str, np.ndarray]
    title: str


@dataclass(frozen=True)
class Layout:
    """Every dataset of one archive, relative to /entry, created up front."""

    tables: dict[str, Table] = field(default_factory=dict)
    arrays: dict[str, Array] = field(default_factory=dict)
    plots: dict[str, Plot] = field(default_factory=dict)
    """NXdata group name -> plot; the first is the entry's default."""


TABLE_SPECS = {
    "levels": Table(LEVEL_DTYPE, LEVEL_UNITS, "level", chunk_rows=64),
    "writes": Table(WRITE_DTYPE, WRITE_UNITS, "write"),
    "verify": Table(VERIFY_DTYPE, VERIFY_UNITS, "read"),
    "mapping": Table(MAPPING_DTYPE, MAPPING_UNITS, "block", chunk_rows=256),
    "layer_epochs": Table(LAYER_EPOCH_DTYPE, LAYER_EPOCH_UNITS, "layer_epoch", chunk_rows=256),
    "gate_response": Table(GATE_RESPONSE_DTYPE, GATE_RESPONSE_UNITS, "reading"),
    "reset_response": Table(RESET_RESPONSE_DTYPE, RESET_RESPONSE_UNITS, "reading"),
    "reads": Table(READ_DTYPE, READ_UNITS, "cell"),
    "accuracy": Table(ACCURACY_DTYPE, ACCURACY_UNITS, "evaluation", chunk_rows=256),
    "epochs": Table(EPOCH_DTYPE, EPOCH_UNITS, "run_epoch", chunk_rows=256),
    "resumes": Table(RESUME_DTYPE, RESUME_UNITS, "resume", chunk_rows=16),
    "evaluation": Table(EVALUATION_DTYPE, EVALUATION_UNITS, "evaluation", chunk_rows=256),
    "points": Table(IV_POINT_DTYPE, IV_POINT_UNITS, "point"),
    "switching": Table(SWITCH_DTYPE, SWITCH_UNITS, "branch", chunk_rows=1024),
    "retention": Table(RETENTION_DTYPE, RETENTION_UNITS, "reading"),
    "endurance": Table(ENDURANCE_DTYPE, ENDURANCE_UNITS, "reading"),
    "disturb": Table(DISTURB_DTYPE, DISTURB_UNITS, "reading"),
}
"""Every table: its row dtype, column units and row dimension."""
TABLES = {name: spec.dtype for name, spec in TABLE_SPECS.items()}
"""Every table name and its row dtype."""
KINDS = ("program", "train", "read", "sweep", "iv", "retention", "endurance", "disturb")
REQUIRED = {"program": ("levels", "writes", "verify"),
            "train": ("accuracy", "epochs", "resumes", "checkpoint/position"),
            "read": ("reads",),
            "iv": ("points", "switching"),
            "retention": ("levels", "writes", "retention"),
            "endurance": ("endurance",),
            "disturb": ("levels", "writes", "disturb"),
            "sweep": ("runs/key", "runs/status", "runs/attempts", "runs/position")}
"""What every schema-2 archive of a kind holds, whatever its configuration."""
STATUSES = ("running", "complete", "interrupted", "failed")


def map_path(tile: int, version: int = SCHEMA_VERSION) -> str:
    """Where the conductance map of ``tile`` lives, in a schema ``version`` file."""
    return f"maps/tile{tile}" if version == 1 else f"map_tile{tile}/conductance"


def program_layout(tiles: list[int], rows: int, cols: int) -> Layout:
    """Layout of a ``labctl program`` run over the given tiles."""
    return Layout(
        tables=_tables("levels", "writes", "verify", "gate_response", "reset_response"),
        **_maps(tiles, rows, cols, "conductance read back after programming"),
    )


def read_layout(tile: int, rows: int, cols: int) -> Layout:
    """Layout of a ``labctl read`` of a region of ``tile``."""
    return Layout(tables=_tables("reads"),
                  **_maps([tile], rows, cols, "conductance read"))


def iv_layout() -> Layout:
    """Layout of a ``labctl iv`` run."""
    return Layout(tables=_tables("points", "switching"))


def retention_layout() -> Layout:
    """Layout of a ``labctl retention`` run."""
    return Layout(tables=_tables("levels", "writes", "retention"),
                  arrays={"programmed_at": Array((1,), "<f8", "s since 1970-01-01T00:00:00Z",
                                                 fill=float("nan"))})


def endurance_layout() -> Layout:
    """Layout of a ``labctl endurance`` run."""
    return Layout(tables=_tables("endurance"))


def disturb_layout() -> Layout:
    """Layout of a ``labctl disturb`` run."""
    return Layout(tables=_tables("levels", "writes", "disturb"))


def _tables(*names: str) -> dict[str, Table]:
    return {name: TABLE_SPECS[name] for name in names}


def _maps(tiles: list[int], rows: int, cols: int, what: str) -> dict:
    """The conductance map arrays of ``tiles`` and their NXdata plots."""
    return {
        "arrays": {map_path(t): Array((rows, cols), "<f8", "S", ("row", "col"), float("nan"),
                                      compress=True) for t in tiles},
        "plots": {f"map_tile{t}": Plot("conductance",
                                       {"row": np.arange(rows), "col": np.arange(cols)},
                                       f"{what}, tile {t}") for t in tiles},
    }


def train_layout(layers: dict[str, tuple[int, int]], tasks: list[str], epochs: int,
                 checkpoint: dict[str, Array]) -> Layout:
    """Layout of a ``labctl train`` run; ``checkpoint`` holds the training state's arrays."""
    arrays = {
        f"device_writes/{name}": Array(shape, "<u4", "1", ("out", "in"))
        for name, shape in layers.items()
    }
    arrays["accuracy_curves/accuracy"] = Array((epochs * len(tasks), len(tasks)), "<f8", "1",
                                               ("epoch", "task"), float("nan"))
    arrays.update(checkpoint)
    arrays["checkpoint/position"] = Array((3,), "<i8")
    return Layout(
        tables=_tables("accuracy", "epochs", "resumes", "mapping", "layer_epochs"),
        arrays=arrays,
        plots={"accuracy_curves": Plot(
            "accuracy", {"epoch": np.arange(1, epochs * len(tasks) + 1),
                         "task": np.array(tasks, dtype=object)},
            "test accuracy of every task after every epoch")},
    )
