"""``labctl endurance``: SET/RESET cycling of a region, its window read at growing intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from drivers.safety import Interlock, SafetyLimits
from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import ENDURANCE_DTYPE, endurance_layout
from labctl.bench import Bench
from labctl.characterization.selection import CellSelection
from labctl.device_model import DeviceOverrides
from labctl.region import coordinates
from labctl.reports.endurance import endurance_summary
from labctl.run_config import Seed
from protocols.endurance import Checkpoint, EnduranceParams, check_limits

Progress = Callable[[str, int, int], None]
_DEFAULTS = EnduranceParams()


class EnduranceConfig(CellSelection):
    """Everything that defines an endurance run (stored in the archive as JSON); V, s, S."""

    cycles: int = Field(_DEFAULTS.cycles, ge=1, le=10**12, description="Cycles at most.")
    reads_per_decade: int = Field(_DEFAULTS.reads_per_decade, ge=1, le=100,
                                  description="Window reads per decade of cycles.")
    v_set: float = Field(_DEFAULTS.v_set, description="SET pulse on the bit line (V).")
    v_reset: float = Field(_DEFAULTS.v_reset, description="RESET pulse, negative on the bit "
                                                          "line (magnitude, V).")
    gate: float = Field(_DEFAULTS.gate, description="Gate during cycling: SET compliance (V).")
    width: float = Field(_DEFAULTS.width, description="Width of each pulse (s).")
    v_read: float = Field(_DEFAULTS.v_read, description="Board read voltage (V).")
    min_window: float = Field(_DEFAULTS.min_window, description="Failure below this G_LRS - "
                                                                "G_HRS (S).")
    probe_cycles: int = Field(_DEFAULTS.probe_cycles, ge=1, le=100,
                              description="Cycles read at each read point.")
    seed: Seed = 0
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

    @property
    def params(self) -> EnduranceParams:
        return EnduranceParams(**{f.name: getattr(self, f.name) for f in fields(EnduranceParams)})


def validate(config: EnduranceConfig, geometry: tuple[int, int, int], limits: SafetyLimits
             ) -> None:
    """Raise ConfigError for anything wrong with the request, and SafetyError for what is
    beyond the bench's ``limits``, before any instrument is opened."""
    check_limits(Interlock(limits), config.params)
    config.check_cells(geometry)


def endurance_archived(config: EnduranceConfig, bench: Bench, out: Path,
                       provenance: Provenance, progress: Progress) -> dict[str, Any]:
    """Cycle the selected cells into a new archive ``out``, closed however the run ends;
    returns the summary."""
    archive = ArchiveWriter(out, "endurance", endurance_layout(), backend=bench.backend,
                            seed=config.seed, config=config.model_dump(),
                            instruments=bench.identities, provenance=provenance)
    with archive.ending("the read points measured so far"):
        run_endurance(config, bench, archive, progress)
    summary = endurance_summary(archive.table("endurance"), config.min_window, config.cycles)
    summary["bench_time"] = bench.clock()
    archive.close("complete", summary)
    return summary


def run_endurance(config: EnduranceConfig, bench: Bench, archive: ArchiveWriter,
                  progress: Progress) -> None:
    """Form the region, then cycle it, archiving and committing every read point; cycling
    beyond the setup's limits is refused before forming sends a pulse."""
    _, rows, cols = bench.geometry
    cells = config.flat_cells(rows, cols)
    params = config.params
    check_limits(bench.fpga.interlock, params)
    points = params.checkpoints()
    progress("forming", 0, 1)
    bench.form(cells)
    progress("cycling", 0, points.size)

    def record(point: Checkpoint) -> None:
        probes, n = point.g_lrs.shape
        table = np.zeros(probes * n, ENDURANCE_DTYPE)
        table["point"] = point.point
        table["cycle"] = np.repeat(point.cycles, n)
        table["cell"] = np.tile(point.cells, probes)
        for name, values in zip(("tile", "row", "col"), coordinates(table["cell"], rows, cols),
                                strict=True):
            table[name] = values
        table["g_lrs"], table["g_hrs"] = point.g_lrs.ravel(), point.g_hrs.ravel()
        archive.append("endurance", table)
        archive.commit()
        progress("cycling", point.point + 1, points.size)

    bench.cycle(cells, params, record)
