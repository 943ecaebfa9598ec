"""``labctl retention``: program a region to N levels, then read it at log-spaced times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import LEVEL_DTYPE, RETENTION_DTYPE, retention_layout
from labctl.bench import Bench
from labctl.characterization.selection import CellSelection
from labctl.device_model import DeviceOverrides
from labctl.programming import WriteLog
from labctl.reports.retention import retention_summary
from protocols.levels import LevelPlan
from protocols.retention import RetentionSchedule, follow

Progress = Callable[[str, int, int], None]
CHUNK = 1024
"""Cells per write-verify batch."""


class RetentionConfig(CellSelection):
    """Everything that defines a retention run (stored in the archive as JSON); S and s."""

    rows: str = "0:16"
    cols: str = "0:16"
    levels: int = Field(8, description="Number of conductance levels.")
    g_min: float = Field(10e-6, gt=0, description="Lowest level centre (S).")
    g_max: float = Field(120e-6, gt=0, description="Highest level centre (S).")
    tolerance: float = Field(2e-6, gt=0, description="Half-width of each level's band (S).")
    duration: float = Field(86400.0, gt=0, description="Last read-back after programming (s).")
    reads: int = Field(20, ge=2, le=10_000, description="Read-backs, log-spaced.")
    first: float = Field(1.0, gt=0, description="First read-back after programming (s).")
    seed: int = 0
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

    @property
    def plan(self) -> LevelPlan:
        return LevelPlan(self.g_min, self.g_max, self.levels, self.tolerance)

    @property
    def schedule(self) -> RetentionSchedule:
        return RetentionSchedule(self.duration, self.reads, self.first)


def validate(config: RetentionConfig, geometry: tuple[int, int, int]) -> None:
    """Raise ConfigError for anything wrong with the request, before the bench is touched."""
    _ = config.plan
    config.schedule.check()
    config.check_cells(geometry)


def retention_archived(config: RetentionConfig, bench: Bench, out: Path,
                       provenance: Provenance, progress: Progress) -> dict[str, Any]:
    """Program and follow the region into a new archive ``out``, closed however the run
    ends; returns the summary."""
    archive = ArchiveWriter(out, "retention", retention_layout(), backend=bench.backend,
                            seed=config.seed, config=config.model_dump(),
                            instruments=bench.identities, provenance=provenance)
    with archive.ending("the read-backs taken so far"):
        run_retention(config, bench, archive, progress)
    summary = retention_summary(archive.table("levels"), archive.table("writes"),
                                archive.table("retention"))
    summary["bench_time"] = bench.clock()
    archive.close("complete", summary)
    return summary


def run_retention(config: RetentionConfig, bench: Bench, archive: ArchiveWriter,
                  progress: Progress) -> None:
    """Form, calibrate and program the region, then read it back on the schedule,
    committing the archive after programming and after every read-back."""
    plan = config.plan
    _, rows, cols = bench.geometry
    cells = config.flat_cells(rows, cols)
    targets = np.random.default_rng(config.seed).integers(0, plan.n_levels, cells.size)
    levels = np.zeros(plan.n_levels, LEVEL_DTYPE)
    levels["level"] = np.arange(plan.n_levels)
    levels["centre"] = plan.centres
    levels["lo"], levels["hi"] = plan.band(levels["level"])
    archive.append("levels", levels)
    progress("programming", 0, cells.size)
    bench.form(cells)
    calibration = bench.calibrate_gate(cells)
    lo, hi = plan.band(targets)
    log = WriteLog(archive, targets, rows, cols,
                   lambda done: progress("programming", done, cells.size))
    for start in range(0, cells.size, CHUNK):
        part = slice(start, start + CHUNK)
        log.add(bench.program(cells[part], lo[part], hi[part], mode="fpga",
                              calibration=calibration))
    archive.commit()
    programmed = bench.clock()
    schedule = config.schedule
    progress("reading back", 0, schedule.reads)

    def record(index: int, at: float, g: np.ndarray) -> None:
        rows_ = np.zeros(cells.size, RETENTION_DTYPE)
        rows_["read"], rows_["time"], rows_["cell"] = index, at, cells
        rows_["level"], rows_["g"] = targets, g
        archive.append("retention", rows_)
        archive.commit()
        progress("reading back", index + 1, schedule.reads)

    follow(schedule, lambda: bench.clock() - programmed, bench.wait, lambda: bench.read(cells),
           record)
