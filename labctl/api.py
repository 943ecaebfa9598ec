"""labctl as a library: what the commands do, as functions that return typed results.

    import labctl

    with labctl.open_bench("mock", seed=1) as bench:          # always left safe
        programmed = labctl.program(bench, levels=8, rows="0:16", cols="0:16")
        look = labctl.read(bench, rows="0:16", cols="0:16")
    print(programmed.success_rate, look.g_median)            # fraction; S
    tree = labctl.open_archive(programmed.archive)           # xarray DataTree

Every run is archived as the commands archive it (``out``, default ``runs/<kind>-<time>.h5``).
Conductances are in siemens, times in seconds, rates and errors as fractions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from drivers.errors import ConfigError
from labctl.archive.paths import default_path
from labctl.backends import open_bench as _open_bench
from labctl.backends import run_provenance
from labctl.bench import Bench
from labctl.region import Region


def out_path(out: str | Path | None, kind: str) -> Path:
    """``out``, or the default archive path of a ``kind`` of run."""
    return Path(out) if out is not None else default_path(kind)


def silent(phase: str, done: int, total: int) -> None:
    """Progress of a run nobody watches."""


def open_bench(backend: str = "mock", setup: str | Path | None = None, seed: int = 0, *,
               formed: bool = False) -> Bench:
    """A bench to use as a context manager, which leaves it safe (outputs off, lines grounded)
    however the block ends: ``"mock"``, a simulated chip seeded by ``seed`` (``formed``: every
    healthy cell already formed), or ``"chip"``, the instruments of the ``setup`` TOML.

    The bench forms (``bench.form(cells)``), reads (``bench.read(cells)`` in S,
    ``bench.read_array(tile)``), computes (``bench.mvm(tile, v_rows)``, currents in A) and
    waits (``bench.wait(seconds)``); cells are flat indices, as ``Region.cells`` gives them.
    """
    return _open_bench(backend, Path(setup) if setup is not None else None, seed,
                       formed=formed)


@dataclass(frozen=True)
class LevelFigures:
    """How the cells of one target level came out."""

    level: int
    """Index of the level, 0 the lowest conductance."""
    target: float
    """Centre of the level's band (S)."""
    cells: int
    """Cells programmed to this level."""
    g_mean: float | None
    """Mean final conductance of the cells that reached the band (S)."""
    g_sigma: float | None
    """Standard deviation of that conductance (S)."""
    pulses_mean: float | None
    """Mean SET and RESET pulses per cell."""
    pulses_p95: float | None
    """95th percentile of the pulses per cell."""
    success_rate: float | None
    """Fraction of the level's cells that reached the band."""


@dataclass(frozen=True)
class ProgramReport:
    """The key figures of a programming run, and where it is archived."""

    archive: Path
    """The run's archive (``labctl.open_archive`` opens it)."""
    cells: int
    """Cells programmed."""
    levels: int
    """Conductance levels of the plan."""
    tolerance: float
    """Half-width of every level's band (S)."""
    success_rate: float
    """Fraction of cells that reached their band."""
    pulses_mean: float
    """Mean SET and RESET pulses per cell."""
    pulses_p95: float
    """95th percentile of the pulses per cell."""
    readback_error: dict[float, float]
    """Delay after programming (s) -> fraction of cells read outside their band."""
    per_level: tuple[LevelFigures, ...]
    """The figures of each level, lowest first."""
    bench_time: float
    """Time the run kept the bench busy (s)."""

    @classmethod
    def from_summary(cls, archive: Path, s: dict[str, Any]) -> ProgramReport:
        """The report of a run from the summary its archive stores."""
        return cls(archive, int(s["cells"]), int(s["levels"]), float(s["tolerance"]),
                   float(s["success_rate"]), float(s["pulses_mean"]), float(s["pulses_p95"]),
                   {float(d): float(e) for d, e in s["readback_error"].items()},
                   tuple(LevelFigures(**lv) for lv in s["per_level"]),
                   float(s.get("bench_time", 0.0)))


def program(bench: Bench, levels: int = 8, *, tile: int = 0, rows: str = "0:128",
            cols: str = "0:128", out: str | Path | None = None, sample: str | None = None,
            operator: str | None = None, **options: Any) -> ProgramReport:
    """Form, calibrate and program the region to ``levels`` conductance levels with
    write-verify, then read it back now and after ``wait`` seconds (default 60).

    ``options`` are those of ``labctl program`` (``ProgramConfig``): ``g_min``, ``g_max`` and
    ``tolerance`` in S, ``pattern``, ``mode``, ``scheme``, ``max_pulses``, ``reads``,
    ``confirm``, ``verify_wait`` and ``wait`` in s, ``seed``. Bad values raise ConfigError
    before any pulse.
    """
    from labctl.programming import ProgramConfig, program_archived, validate

    config = ProgramConfig.build(levels=levels, tile=tile, rows=rows, cols=cols, **options)
    validate(config, bench.geometry)
    path = out_path(out, "program")
    result = program_archived(config, bench, path,
                              run_provenance(None, sample, operator, bench), silent)
    return ProgramReport.from_summary(path, result.summary)


@dataclass(frozen=True)
class ReadReport:
    """One read of a region: its conductance map and statistics, and where it is archived."""

    archive: Path
    """The read's archive (``labctl.open_archive`` opens it)."""
    region: Region
    """The cells read."""
    conductance: np.ndarray
    """(rows, cols) of the region (S)."""

    @property
    def g_mean(self) -> float:
        """Mean conductance of the region (S)."""
        return float(self.conductance.mean())

    @property
    def g_median(self) -> float:
        """Median conductance of the region (S)."""
        return float(np.median(self.conductance))

    @property
    def g_sigma(self) -> float:
        """Standard deviation of the region's conductance (S)."""
        return float(self.conductance.std())


def read(bench: Bench, *, tile: int = 0, rows: str = "0:128", cols: str = "0:128",
         out: str | Path | None = None, sample: str | None = None,
         operator: str | None = None) -> ReadReport:
    """Read every cell of the region once at the bench's read voltage (``labctl read``)."""
    from labctl.reading import read_archived

    region = Region.parse(tile, rows, cols)
    region.check(*bench.geometry)
    path = out_path(out, "read")
    conductance, _ = read_archived(region, bench, path,
                                   run_provenance(None, sample, operator, bench), silent)
    return ReadReport(path, region, conductance)


def train(*, out: str | Path | None = None, data_dir: str | Path | None = None,
          sample: str | None = None, operator: str | None = None, **settings: Any) -> Any:
    """Train on the tasks in sequence (``labctl train``) and return the ``TrainResult``:
    ``after_task`` (tasks x tasks accuracy after each task), ``accuracy`` (after every
    epoch), ``level_changes`` and ``write_counts`` per weight.

    ``settings`` are the fields of ``TrainConfig`` (``backend``, ``levels``, ``hidden``,
    ``epochs``, ``meta``, ``tasks``, ``limit``, ``seed``, ...); defaults are the paper's
    protocol on the ideal software backend.
    """
    from labctl.datasets import DatasetFetcher
    from labctl.learning.config import TrainConfig
    from labctl.training import run_training

    config = TrainConfig.build(**settings)
    fetcher = DatasetFetcher(Path(data_dir) if data_dir is not None else None)
    data = [fetcher.load(task) for task in config.tasks]
    setup = Path(config.setup) if config.setup else None
    return run_training(config, data, out_path(out, "train"),
                        provenance=run_provenance(setup, sample, operator))


def evaluate(archive: str | Path, after: Sequence[float | str] = ("1h", "1d", "1w"), *,
             refresh: bool = False, data_dir: str | Path | None = None) -> list[Any]:
    """Leave a finished mock or chip training run's weights unwritten for each time of
    ``after`` (s, or durations such as "1d"), read them back and evaluate every task
    (``labctl evaluate``); with ``refresh``, rewrite the weights that drifted after each
    read-back and evaluate again. Returns the ``ReadBack`` of each, in order; they are also
    appended to the archive's ``evaluation`` table."""
    from labctl.datasets import DatasetFetcher
    from labctl.durations import parse_duration
    from labctl.evaluation import evaluate_archive
    from labctl.learning.archive import load_finished

    path = Path(archive)
    times = [parse_duration(t, "after", zero=True) if isinstance(t, str) else float(t)
             for t in after]
    if any(not t >= 0 for t in times):
        raise ConfigError(f"after {list(after)!r}: every time must be 0 or more seconds")
    config, _ = load_finished(path)
    fetcher = DatasetFetcher(Path(data_dir) if data_dir is not None else None)
    return evaluate_archive(path, times, refresh, [fetcher.load(task) for task in config.tasks])


@dataclass(frozen=True)
class SweepReport:
    """How a sweep ended (``labctl sweep``); its figures are in ``dataset()``."""

    directory: Path
    """The sweep's folder: its index ``sweep.h5`` and the run archives in ``runs/``."""
    runs: int
    """Runs in the grid."""
    complete: int
    """Runs whose archive is complete (from this call or an earlier one)."""
    failed: int
    """Runs that failed (not retried unless ``retry_failed``)."""
    failures: list[tuple[str, str]]
    """(grid point, why) of every failed run."""

    def dataset(self) -> Any:
        """The sweep as one xarray Dataset, a dimension per axis of its grid (see
        ``labctl.open_sweep``)."""
        from labctl.archive.analysis import open_sweep

        return open_sweep(self.directory)


def run_sweep(spec: str | Path | dict[str, Any], out: str | Path, *, workers: int = 2,
              scheduler: str | None = None, retry_failed: bool = False,
              data_dir: str | Path | None = None) -> SweepReport:
    """Run a sweep (``labctl sweep``): ``spec`` is a SPEC.toml path or its tables as a dict
    (``{"command": "train", "options": {...}, "grid": {"seed": [0, 1]}}``), ``out`` the
    sweep's folder. Runs go to a LocalCluster of ``workers`` processes, or to the Dask
    scheduler at ``scheduler``; calling it again continues the sweep."""
    from labctl.sweep import load_spec, plan_sweep, spec_from
    from labctl.sweep.runner import run_sweep as run_planned

    loaded = spec_from(spec) if isinstance(spec, dict) else load_spec(Path(spec))
    plan = plan_sweep(loaded, Path(out))
    state = run_planned(plan, workers=workers, scheduler=scheduler, retry_failed=retry_failed,
                      data_dir=Path(data_dir) if data_dir is not None else None)
    return SweepReport(plan.directory, state.total, state.complete, state.failed,
                       list(state.failures))
