"""``labctl disturb``: program a region to N levels, stress half of it with reads or a DC
bias at a read voltage, and read all of it back as the stress grows."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from drivers.safety import Interlock, SafetyLimits
from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import DISTURB_DTYPE, disturb_layout
from labctl.bench import Bench
from labctl.characterization.programmed import LevelledRegion, Progress, program_region
from labctl.device_model import DeviceOverrides
from labctl.reports.disturb import disturb_summary
from protocols.disturb import DisturbParams, check_limits

_DEFAULTS = DisturbParams()


class DisturbConfig(LevelledRegion):
    """Everything that defines a disturb run (stored in the archive as JSON); V, A, s, S."""

    stress: Literal["reads", "dc"] = Field(_DEFAULTS.stress, description="reads or dc.")
    amount: float = Field(_DEFAULTS.amount, description="Reads per stressed cell, or s of bias.")
    first: float = Field(_DEFAULTS.first, description="Stress at the first read-back.")
    points: int = Field(_DEFAULTS.points, ge=1, le=1000, description="Read-backs under stress.")
    v_stress: float = Field(_DEFAULTS.v_stress, description="Read or bias voltage (V).")
    gate: float = Field(_DEFAULTS.gate, description="Gate during a DC stress (V).")
    compliance: float = Field(_DEFAULTS.compliance, description="SMU limit of a DC stress (A).")
    nplc: float = Field(_DEFAULTS.nplc, description="SMU integration per DC step (PLC).")
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

    @property
    def params(self) -> DisturbParams:
        return DisturbParams(**{f.name: getattr(self, f.name) for f in fields(DisturbParams)})


def validate(config: DisturbConfig, geometry: tuple[int, int, int], limits: SafetyLimits
             ) -> None:
    """Raise ConfigError for anything wrong with the request, and SafetyError for what is
    beyond the bench's ``limits``, before any instrument is opened."""
    _ = config.plan
    check_limits(Interlock(limits), config.params)
    config.check_cells(geometry)


def stressed_half(cells: NDArray[np.int64], cols: int, region: bool) -> NDArray[np.bool_]:
    """Which cells are stressed: those in even columns of a region, every other cell of a
    list; the rest are the controls, programmed and read back alike but never stressed."""
    if region:
        return cells % cols % 2 == 0
    return np.arange(cells.size) % 2 == 0


def disturb_archived(config: DisturbConfig, bench: Bench, out: Path, provenance: Provenance,
                     progress: Progress) -> dict[str, Any]:
    """Program, stress and read back the region into a new archive ``out``, closed however
    the run ends; returns the summary."""
    archive = ArchiveWriter(out, "disturb", disturb_layout(), backend=bench.backend,
                            seed=config.seed, config=config.model_dump(),
                            instruments=bench.identities, provenance=provenance)
    with archive.ending("the read-backs taken so far"):
        run_disturb(config, bench, archive, progress)
    summary = disturb_summary(archive.table("levels"), archive.table("disturb"), config.stress)
    summary["bench_time"] = bench.clock()
    archive.close("complete", summary)
    return summary


def run_disturb(config: DisturbConfig, bench: Bench, archive: ArchiveWriter,
                progress: Progress) -> None:
    """Check the stress against the setup's limits, program the region, then stress its
    stressed half and read back all of it, committing after every read-back."""
    params = config.params
    check_limits(bench.fpga.interlock, params)
    cells, targets = program_region(config, bench, archive, progress)
    _, _, cols = bench.geometry
    stressed = stressed_half(cells, cols, config.cells is None)
    programmed = bench.clock()
    total = params.schedule().size + 1
    progress("stressing", 0, total)

    def record(point: int, stress: float, g: NDArray[np.float64]) -> None:
        table = np.zeros(cells.size, DISTURB_DTYPE)
        table["point"], table["stress"], table["time"] = point, stress, bench.clock() - programmed
        table["cell"], table["stressed"], table["level"], table["g"] = (cells, stressed,
                                                                         targets, g)
        archive.append("disturb", table)
        archive.commit()
        progress("stressing", point + 1, total)

    bench.stress(cells[stressed], params, lambda: bench.read(cells), record)
