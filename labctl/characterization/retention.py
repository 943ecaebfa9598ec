"""``labctl retention``: program a region to N levels, then read it at log-spaced times."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from labctl.archive import ArchiveWriter
from labctl.archive.errors import ArchiveError
from labctl.archive.provenance import Provenance
from labctl.archive.reader import checked
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


@dataclass(frozen=True)
class Unfinished:
    """What an interrupted retention run on a real bench archived: enough to go on."""

    config: RetentionConfig
    tables: dict[str, np.ndarray]
    programmed_at: float
    """When programming ended (s since 1970-01-01 UTC)."""
    created: str | None


def load_unfinished(path: Path) -> Unfinished:
    """The configuration, tables and programming time of the unfinished run in ``path``;
    ArchiveError if it is not one a bench can go on with."""
    with checked(path) as archive:
        if archive.kind != "retention":
            raise ArchiveError(f"{path} is a {archive.kind} archive, not a retention run")
        if archive.status == "complete":
            raise ArchiveError(f"{path} holds a complete run: there is nothing to resume; "
                               "start a new run (without --resume)")
        if archive.backend != "chip":
            raise ArchiveError(f"{path} was taken on the {archive.backend} backend, whose "
                               "chip is not archived: run it again (it takes seconds)")
        try:
            at = float(archive.array("programmed_at")[0])
        except ArchiveError:  # archived before runs recorded it
            at = float("nan")
        if not np.isfinite(at):
            raise ArchiveError(f"{path} stopped before its cells were programmed: there is "
                               "nothing to follow; start a new run (without --resume)")
        tables = {name: archive.table(name) for name in ("levels", "writes", "retention")}
        return Unfinished(RetentionConfig.model_validate(archive.config), tables, at,
                          archive.meta.get("created"))


def retention_archived(config: RetentionConfig, bench: Bench, out: Path,
                       provenance: Provenance, progress: Progress,
                       unfinished: Unfinished | None = None) -> dict[str, Any]:
    """Program and follow the region into a new archive ``out`` or, given the
    ``unfinished`` run archived there, follow it on from its next read-back (the file is
    rewritten with everything it held); the archive is closed however the run ends.
    Returns the summary."""
    archive = ArchiveWriter(out, "retention", retention_layout(), backend=bench.backend,
                            seed=config.seed, config=config.model_dump(),
                            instruments=bench.identities, provenance=provenance,
                            created=unfinished.created if unfinished else None,
                            publish=unfinished is None)
    with archive.ending("the read-backs taken so far"):
        if unfinished is None:
            run_retention(config, bench, archive, progress)
        else:
            follow_on(unfinished, bench, archive, progress)
    summary = retention_summary(archive.table("levels"), archive.table("writes"),
                                archive.table("retention"))
    summary["bench_time"] = bench.clock()
    archive.close("complete", summary)
    return summary


def follow_on(unfinished: Unfinished, bench: Bench, archive: ArchiveWriter,
              progress: Progress) -> None:
    """Rewrite what the run held, then take its remaining read-backs at their times after
    the programming, by the wall clock (the bench's own clock began with this session)."""
    for name, rows in unfinished.tables.items():
        archive.append(name, rows)
    archive.write("programmed_at", np.array([unfinished.programmed_at]))
    archive.commit()
    writes, taken = unfinished.tables["writes"], unfinished.tables["retention"]
    start = int(taken["read"].max()) + 1 if taken.size else 0
    _follow(unfinished.config, bench, archive, progress, writes["cell"].astype(np.int64),
            writes["level"].astype(np.int64), lambda: time.time() - unfinished.programmed_at,
            start)


def run_retention(config: RetentionConfig, bench: Bench, archive: ArchiveWriter,
                  progress: Progress) -> None:
    """Form, calibrate and program the region, then read it back on the schedule,
    committing the archive after programming and after every read-back."""
    cells, targets = program_region(config, bench, archive, progress)
    programmed = bench.clock()
    archive.write("programmed_at", np.array([time.time() if bench.simulation is None
                                             else np.nan]))
    archive.commit()
    _follow(config, bench, archive, progress, cells, targets,
            lambda: bench.clock() - programmed, 0)


def _follow(config: RetentionConfig, bench: Bench, archive: ArchiveWriter, progress: Progress,
            cells: np.ndarray, targets: np.ndarray, elapsed: Callable[[], float],
            start: int) -> None:
    schedule = config.schedule
    progress("reading back", start, schedule.reads)

    def record(index: int, at: float, g: np.ndarray) -> None:
        rows_ = np.zeros(cells.size, RETENTION_DTYPE)
        rows_["read"], rows_["time"], rows_["cell"] = index, at, cells
        rows_["level"], rows_["g"] = targets, g
        archive.append("retention", rows_)
        archive.commit()
        progress("reading back", index + 1, schedule.reads)

    follow(schedule, elapsed, bench.wait, lambda: bench.read(cells), record, start)
