"""The start of a retention or disturb run: a region formed and written to random levels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from labctl.archive import ArchiveWriter
from labctl.archive.schema import LEVEL_DTYPE
from labctl.bench import Bench
from labctl.characterization.selection import CellSelection
from labctl.programming import WriteLog
from labctl.run_config import Seed
from protocols.levels import LevelPlan

Progress = Callable[[str, int, int], None]
CHUNK = 1024
"""Cells per write-verify batch."""


class LevelledRegion(CellSelection):
    """Cells programmed to ``levels`` conductance levels before they are followed (S)."""

    levels: int = Field(8, description="Number of conductance levels.")
    g_min: float = Field(10e-6, gt=0, description="Lowest level centre (S).")
    g_max: float = Field(120e-6, gt=0, description="Highest level centre (S).")
    tolerance: float = Field(2e-6, gt=0, description="Half-width of each level's band (S).")
    seed: Seed = 0

    @property
    def plan(self) -> LevelPlan:
        return LevelPlan(self.g_min, self.g_max, self.levels, self.tolerance)


def program_region(config: LevelledRegion, bench: Bench, archive: ArchiveWriter,
                   progress: Progress) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Form, calibrate and write-verify the region to random levels (seeded), archiving the
    plan (``levels``) and every cell's write (``writes``), then commit; returns the cells
    and their target levels."""
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
    return cells, targets
