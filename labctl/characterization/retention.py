"""``labctl retention``: program a region to N levels, then read it at log-spaced times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import RETENTION_DTYPE, retention_layout
from labctl.bench import Bench
from labctl.characterization.programmed import LevelledRegion, Progress, program_region
from labctl.device_model import DeviceOverrides
from labctl.reports.retention import retention_summary
from protocols.retention import RetentionSchedule, follow


class RetentionConfig(LevelledRegion):
    """Everything that defines a retention run (stored in the archive as JSON); S and s."""

    rows: str = "0:16"
    cols: str = "0:16"
    duration: float = Field(86400.0, gt=0, description="Last read-back after programming (s).")
    reads: int = Field(20, ge=2, le=10_000, description="Read-backs, log-spaced.")
    first: float = Field(1.0, gt=0, description="First read-back after programming (s).")
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

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
    cells, targets = program_region(config, bench, archive, progress)
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
