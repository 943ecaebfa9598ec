"""``labctl read``: one read of every cell of a region, archived as a table and a map."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import READ_DTYPE, Layout, map_path, read_layout
from labctl.bench import Bench
from labctl.region import Region, coordinates
from labctl.reports.read import read_summary

CHUNK = 1024
"""Cells read per request: the progress bar and the archive move on after each."""


def layout_for(region: Region, geometry: tuple[int, int, int]) -> Layout:
    """The archive layout of a read of ``region``."""
    _, rows, cols = geometry
    return read_layout(region.tile, rows, cols)


def read_archived(region: Region, bench: Bench, out: Path, provenance: Provenance,
                  progress: Callable[[str, int, int], None], seed: int = 0
                  ) -> tuple[np.ndarray, dict[str, Any]]:
    """Read ``region`` into a new archive ``out``, closed however the read ends; returns the
    conductance map (S) and the summary."""
    config = {"tile": region.tile, "rows": f"{region.row_start}:{region.row_stop}",
              "cols": f"{region.col_start}:{region.col_stop}", "seed": seed,
              "v_read": bench.params.v_read}
    archive = ArchiveWriter(out, "read", layout_for(region, bench.geometry),
                            backend=bench.backend, seed=seed, config=config,
                            instruments=bench.identities, provenance=provenance)
    with archive.ending("the cells read so far"):
        conductance = run_read(region, bench, archive, progress)
    summary = read_summary(conductance.ravel())
    archive.close("complete", summary)
    return conductance, summary


def run_read(region: Region, bench: Bench, archive: ArchiveWriter,
             progress: Callable[[str, int, int], None]) -> np.ndarray:
    """Read every cell of ``region`` once at the bench's read voltage, archiving each chunk as
    it arrives; returns the region's conductance map (S)."""
    _, rows, cols = bench.geometry
    cells = region.cells(rows, cols)
    g = np.empty(cells.size)
    progress("reading", 0, cells.size)
    for start in range(0, cells.size, CHUNK):
        part = cells[start:start + CHUNK]
        g[start:start + part.size] = bench.read(part)
        table = np.zeros(part.size, READ_DTYPE)
        table["cell"], table["g"] = part, g[start:start + part.size]
        table["tile"], table["row"], table["col"] = coordinates(part, rows, cols)
        archive.append("reads", table)
        progress("reading", start + part.size, cells.size)
    conductance = g.reshape(region.shape)
    archive.write(map_path(region.tile), conductance,
                  (slice(region.row_start, region.row_stop),
                   slice(region.col_start, region.col_stop)))
    archive.commit()
    return conductance
