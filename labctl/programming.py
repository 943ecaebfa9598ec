"""``labctl program``: form, program a region to N levels, read back now and after a wait."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from drivers.fpga.writeverify import Scheme, WriteVerifyParams
from labctl.archive import ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import (
    GATE_RESPONSE_DTYPE,
    LEVEL_DTYPE,
    RESET_RESPONSE_DTYPE,
    VERIFY_DTYPE,
    WRITE_DTYPE,
    Layout,
    map_path,
    program_layout,
)
from labctl.bench import Bench
from labctl.device_model import DeviceOverrides
from labctl.region import Region, coordinates, target_pattern
from labctl.reports.program import program_summary
from labctl.run_config import OptionsModel, Seed
from protocols.calibration import GateCalibration, ResetResponse
from protocols.levels import LevelPlan

Progress = Callable[[str, int, int], None]
"""Called as (phase, done, total) while a run goes."""


class ProgramConfig(OptionsModel):
    """Everything that defines a programming run (stored in the archive as JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: int = Field(8, description="Number of conductance levels.")
    g_min: float = Field(10e-6, gt=0, description="Lowest level centre (S).")
    g_max: float = Field(120e-6, gt=0, description="Highest level centre (S).")
    tolerance: float = Field(2e-6, gt=0, description="Half-width of each level's band (S).")
    tile: int = Field(0, ge=0)
    rows: str = "0:128"
    cols: str = "0:128"
    pattern: Literal["random", "checkerboard", "ramp"] = "random"
    mode: Literal["fpga", "host"] = "fpga"
    wait: float = Field(60.0, ge=0, description="Wait before the second read-back (s).")
    chunk: int = Field(1024, ge=1, description="Cells per write-verify batch.")
    # Write-verify options; None keeps the bench's own (a setup file's [programming]).
    scheme: Literal["igvva", "ispva"] | None = None
    max_pulses: int | None = Field(None, ge=1, le=65535, description="Pulse budget per cell.")
    reads: int | None = Field(None, ge=1, le=255, description="Reads averaged per verify.")
    confirm: bool | None = Field(None, description="Re-read a cell found in band first.")
    verify_wait: float | None = Field(None, ge=0, description="Wait-then-verify (s); 0: off.")
    seed: Seed = 0
    device: DeviceOverrides = Field(
        default_factory=dict, description="Device-model overrides of the simulated chip.")

    @property
    def region(self) -> Region:
        return Region.parse(self.tile, self.rows, self.cols)

    @property
    def plan(self) -> LevelPlan:
        return LevelPlan(self.g_min, self.g_max, self.levels, self.tolerance)

    def write_verify(self, base: WriteVerifyParams) -> WriteVerifyParams:
        """``base`` with the write-verify options this run sets."""
        given = {param: getattr(self, option) for option, param in _WRITE_VERIFY.items()
                 if getattr(self, option) is not None}
        if "scheme" in given:
            given["scheme"] = Scheme(given["scheme"])
        return replace(base, **given)

    def on_bench(self, base: WriteVerifyParams) -> ProgramConfig:
        """This config with every write-verify option spelled out as ``base`` completes it,
        so an archive records what the run used."""
        params = self.write_verify(base)
        return self.model_copy(update={option: getattr(params, param)
                                       for option, param in _WRITE_VERIFY.items()}
                               | {"scheme": params.scheme.value})


MICROSIEMENS = ("g_min", "g_max", "tolerance")
"""Options that ``labctl program`` (and a sweep's spec) takes in µS, the config in S."""


def program_config(**options: Any) -> ProgramConfig:
    """The ProgramConfig of ``labctl program``'s options, with conductances given in µS."""
    return ProgramConfig.build(**{name: _siemens(value) if name in MICROSIEMENS else value
                                  for name, value in options.items()})


def _siemens(microsiemens: Any) -> Any:
    """A conductance given in µS, in S; anything but a number is left for validation."""
    if isinstance(microsiemens, int | float) and not isinstance(microsiemens, bool):
        return microsiemens * 1e-6
    return microsiemens


_WRITE_VERIFY = {"scheme": "scheme", "max_pulses": "max_pulses", "reads": "reads",
                 "confirm": "confirm", "verify_wait": "wait"}
"""ProgramConfig option -> WriteVerifyParams field."""


@dataclass
class ProgramResult:
    summary: dict[str, Any]
    plan: LevelPlan


def validate(config: ProgramConfig, geometry: tuple[int, int, int]) -> None:
    """Raise ConfigError for anything wrong with the request, before the bench is touched."""
    _ = config.plan  # the plan checks the levels against the window and tolerance
    config.region.check(*geometry)


def program_archived(config: ProgramConfig, bench: Bench, out: Path, provenance: Provenance,
                     progress: Progress) -> ProgramResult:
    """Program the region into a new archive ``out``, closed however the run ends."""
    config = config.on_bench(bench.params)
    archive = ArchiveWriter(out, "program", layout_for(config, bench.geometry),
                            backend=bench.backend, seed=config.seed,
                            config=config.model_dump(), instruments=bench.identities,
                            provenance=provenance)
    with archive.ending("the cells programmed so far"):
        result = run_program(config, bench, archive, progress)
    archive.close("complete", result.summary)
    return result


def run_program(config: ProgramConfig, bench: Bench, archive: ArchiveWriter,
                progress: Progress) -> ProgramResult:
    """Program the region, archiving every write as it completes; returns the key figures."""
    plan = config.plan
    region = config.region
    _, rows, cols = bench.geometry
    bench.params = config.write_verify(bench.params)
    rng = np.random.default_rng(config.seed)
    cells = region.cells(rows, cols)
    targets = target_pattern(config.pattern, region.shape, plan.n_levels, rng).ravel()
    levels = np.zeros(plan.n_levels, LEVEL_DTYPE)
    levels["level"] = np.arange(plan.n_levels)
    levels["centre"] = plan.centres
    levels["lo"], levels["hi"] = plan.band(levels["level"])
    archive.append("levels", levels)
    archive.commit()

    phase = PhaseLog(bench, progress)
    with phase("forming", 1):
        bench.form(cells)
    with phase("calibrating", 1):
        calibration = bench.calibrate_gate(cells)
        reset = (None if calibration.cells is None else bench.reset_response(
            calibration.cells, float(calibration.gate_for(levels["hi"].max()))))
    archive.append("gate_response", gate_response_rows(calibration))
    if reset is not None:
        archive.append("reset_response", reset_response_rows(reset))

    lo, hi = plan.band(targets)
    with phase("programming", cells.size) as done:
        log = WriteLog(archive, targets, rows, cols, done)
        for start in range(0, cells.size, config.chunk):
            part = slice(start, start + config.chunk)
            records = bench.program(cells[part], lo[part], hi[part], mode=config.mode,
                                    calibration=calibration,
                                    on_result=log.add if config.mode == "host" else None)
            if config.mode == "fpga":
                log.add(records)
        archive.commit()

    t_programmed = bench.clock()
    with phase("reading back", 1):
        _read_back(bench, archive, cells, targets, delay=0.0, region=region)
        _read_back(bench, archive, cells, targets, delay=bench.clock() - t_programmed,
                   region=None)
    if config.wait > 0:
        with phase("waiting", 1):
            bench.wait(config.wait - (bench.clock() - t_programmed))
            _read_back(bench, archive, cells, targets, delay=config.wait, region=None)
    archive.commit()
    return ProgramResult(summary=_summary_from(archive, bench, phase.stats), plan=plan)


@dataclass
class WriteLog:
    """Archives write-verify records in programming order as they become final."""

    archive: ArchiveWriter
    targets: np.ndarray
    rows: int
    cols: int
    done: Callable[[int], None]
    written: int = 0

    def add(self, records: np.ndarray) -> None:
        levels = self.targets[self.written:self.written + records.size]
        self.archive.append("writes", _write_rows(records, levels, self.rows, self.cols))
        self.written += records.size
        self.done(self.written)


def _write_rows(records: np.ndarray, levels: np.ndarray, rows: int, cols: int) -> np.ndarray:
    out = np.zeros(records.size, WRITE_DTYPE)
    for name in WRITE_DTYPE.names:
        if name in records.dtype.names:
            out[name] = records[name]
    out["tile"], out["row"], out["col"] = coordinates(records["cell"], rows, cols)
    out["level"] = levels
    return out


def gate_response_rows(calibration: GateCalibration) -> np.ndarray:
    """The gate calibration's readings as ``gate_response`` rows, gate by gate (none for a
    calibration that kept only its medians)."""
    if calibration.cells is None or calibration.readings is None:
        return np.zeros(0, GATE_RESPONSE_DTYPE)
    gates, cells = calibration.readings.shape
    rows = np.zeros(gates * cells, GATE_RESPONSE_DTYPE)
    rows["gate"] = np.repeat(calibration.gates, cells)
    rows["cell"] = np.tile(calibration.cells, gates)
    rows["g"] = calibration.readings.ravel()
    if calibration.reset_readings is not None:
        rows["g_reset"] = calibration.reset_readings.ravel()
    return rows


def reset_response_rows(reset: ResetResponse) -> np.ndarray:
    """The RESET-gate sweep's readings as ``reset_response`` rows, gate by gate."""
    gates, cells = reset.before.shape
    rows = np.zeros(gates * cells, RESET_RESPONSE_DTYPE)
    rows["gate"] = np.repeat(reset.gates, cells)
    rows["set_gate"] = reset.set_gate
    rows["cell"] = np.tile(reset.cells, gates)
    rows["g_set"], rows["g_reset"] = reset.before.ravel(), reset.after.ravel()
    return rows


def _read_back(bench: Bench, archive: ArchiveWriter, cells: np.ndarray, levels: np.ndarray,
               delay: float, region: Region | None) -> None:
    g = bench.read(cells)
    rows = np.zeros(cells.size, VERIFY_DTYPE)
    rows["cell"], rows["level"], rows["delay"], rows["g"] = cells, levels, delay, g
    archive.append("verify", rows)
    if region is not None:
        archive.write(map_path(region.tile), g.reshape(region.shape),
                      (slice(region.row_start, region.row_stop),
                       slice(region.col_start, region.col_stop)))


def _summary_from(archive: ArchiveWriter, bench: Bench,
                  phases: dict[str, dict[str, float]]) -> dict[str, Any]:
    writes = archive.table("writes")
    summary = program_summary(archive.table("levels"), writes, archive.table("verify"))
    prog = phases["programming"]
    cells = max(summary["cells"], 1)
    pulses = float(writes["pulses"].sum())
    summary.update({
        "bench_time": bench.clock(),
        "phases": phases,
        **{k: v for k, v in bench.link_stats().items() if k != "round_trips"},
        "round_trips_per_cell": prog["round_trips"] / cells,
        "round_trips_per_second": prog["round_trips"] / max(prog["wall_time"], 1e-9),
        "pulses_per_second": pulses / max(prog["wall_time"], 1e-9),
    })
    return summary


@dataclass
class PhaseLog:
    """Drives the progress bar of each phase and records what the phase cost."""

    bench: Bench
    progress: Progress
    stats: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        trips, wall, bench_t = (self.bench.link_stats()["round_trips"], time.perf_counter(),
                                self.bench.clock())
        self.progress(name, 0, total)
        yield lambda done: self.progress(name, done, total)
        self.progress(name, total, total)
        self.stats[name] = {"round_trips": self.bench.link_stats()["round_trips"] - trips,
                            "wall_time": time.perf_counter() - wall,
                            "bench_time": self.bench.clock() - bench_t}


def layout_for(config: ProgramConfig, geometry: tuple[int, int, int]) -> Layout:
    """The archive layout of this run."""
    _, rows, cols = geometry
    return program_layout([config.tile], rows, cols)
