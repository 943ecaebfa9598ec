"""``labctl iv``: quasi-static I-V sweeps of selected cells, archived branch by branch."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from drivers.safety import Interlock, SafetyLimits
from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import IV_POINT_DTYPE, SWITCH_DTYPE, iv_layout
from labctl.bench import Bench
from labctl.characterization.selection import CellSelection
from labctl.device_model import DeviceOverrides
from labctl.region import coordinates
from labctl.reports.iv import iv_summary
from labctl.run_config import Seed
from protocols.iv import IVParams, IVSweep, check_limits, switching

Progress = Callable[[str, int, int], None]
COMMIT_EVERY = 1.0
"""Seconds between commits of the archive while sweeping (a kill loses at most this)."""
_DEFAULTS = IVParams()


class IVConfig(CellSelection):
    """Everything that defines an I-V run (stored in the archive as JSON); V, A, s, S."""

    cycles: int = Field(_DEFAULTS.cycles, ge=1, le=10_000, description="RESET/SET cycles.")
    step: float = Field(_DEFAULTS.step, description="Staircase step (V).")
    v_form: float = Field(_DEFAULTS.v_form, description="Forming peak, bit line (V).")
    v_set: float = Field(_DEFAULTS.v_set, description="SET peak, bit line (V).")
    v_reset: float = Field(_DEFAULTS.v_reset, description="RESET peak, source line (V).")
    gate_form: float = Field(_DEFAULTS.gate_form, ge=0, description="Forming gate (V).")
    gate_set: float = Field(_DEFAULTS.gate_set, ge=0, description="SET gate: compliance (V).")
    gate_reset: float = Field(_DEFAULTS.gate_reset, ge=0, description="RESET gate (V).")
    compliance: float = Field(_DEFAULTS.compliance, description="SMU current limit (A).")
    dwell: float = Field(_DEFAULTS.delay, ge=0, description="Source delay per point (s).")
    nplc: float = Field(_DEFAULTS.nplc, gt=0, description="Integration per point (PLC).")
    v_read: float = Field(_DEFAULTS.v_read, description="R_on/R_off read voltage (V).")
    g_switch: float = Field(_DEFAULTS.g_switch, description="LRS/HRS boundary (S).")
    seed: Seed = 0
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

    @property
    def params(self) -> IVParams:
        given = {f.name: getattr(self, f.name) for f in fields(IVParams)
                 if f.name in type(self).model_fields}
        return IVParams(**given, delay=self.dwell)


def validate(config: IVConfig, geometry: tuple[int, int, int], limits: SafetyLimits
             ) -> None:
    """Raise ConfigError for anything wrong with the request, and SafetyError for what is
    beyond the bench's ``limits``, before any instrument is opened."""
    check_limits(Interlock(limits), config.params)
    config.check_cells(geometry)


def iv_archived(config: IVConfig, bench: Bench, out: Path, provenance: Provenance,
                progress: Progress) -> dict[str, Any]:
    """Sweep the selected cells into a new archive ``out``, closed however the run ends;
    returns the summary."""
    archive = ArchiveWriter(out, "iv", iv_layout(), backend=bench.backend, seed=config.seed,
                            config=config.model_dump(), instruments=bench.identities,
                            provenance=provenance)
    with archive.ending("the branches swept so far"):
        run_iv(config, bench, archive, progress)
    summary = iv_summary(archive.table("switching"), config.cycles)
    summary["bench_time"] = bench.clock()
    archive.close("complete", summary)
    return summary


def run_iv(config: IVConfig, bench: Bench, archive: ArchiveWriter, progress: Progress) -> None:
    """Sweep every selected cell, archiving and committing each branch as it is measured."""
    _, rows, cols = bench.geometry
    cells = config.flat_cells(rows, cols)
    params = config.params
    done = 0
    progress("sweeping", 0, cells.size)

    last_commit = time.monotonic()

    def record(sweep: IVSweep) -> None:
        nonlocal done, last_commit
        _archive_sweep(archive, sweep, params, rows, cols)
        if time.monotonic() - last_commit >= COMMIT_EVERY:
            archive.commit()
            last_commit = time.monotonic()
        if sweep.branch.name == "SET" and sweep.cycle == params.cycles:
            done += 1
            progress("sweeping", done, cells.size)

    bench.sweep_iv(cells, params, record)
    archive.commit()


def _archive_sweep(archive: ArchiveWriter, sweep: IVSweep, params: IVParams, rows: int,
                   cols: int) -> None:
    tile, row, col = (int(x[0]) for x in coordinates(np.array([sweep.cell]), rows, cols))
    points = np.zeros(sweep.v.size, IV_POINT_DTYPE)
    key = {"cell": sweep.cell, "tile": tile, "row": row, "col": col, "cycle": sweep.cycle,
           "branch": int(sweep.branch)}
    for name, value in key.items():
        points[name] = value
    points["point"] = np.arange(sweep.v.size)
    points["v"], points["i"] = sweep.v, sweep.i
    archive.append("points", points)
    found = switching(sweep, params)
    row_ = np.zeros(1, SWITCH_DTYPE)
    for name, value in key.items():
        row_[name] = value
    row_["v_switch"], row_["r_before"] = found.v_switch, found.r_before
    archive.append("switching", row_)
