"""Statistics of a sweep from its index: one row per grid point, the seeds pooled."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from labctl.archive import Archive
from labctl.sweep.spec import Factor, SweepSpec

POOLED = "seed"
"""The axis whose runs are repeats of one grid point: statistics are taken over it."""
FRACTIONS = ("accuracy", "success_rate", "readback_error")
"""Figures (by name prefix) that are fractions, which tables and plots show in %."""


def is_fraction(name: str) -> bool:
    return name.startswith(FRACTIONS)


@dataclass(frozen=True)
class SweepRuns:
    """Every run of a sweep as its index records it."""

    spec: SweepSpec
    tasks: list[str]
    positions: np.ndarray
    """(run, factor): every run's step along every factor of the grid."""
    points: list[dict[str, Any]]
    """The swept options' values of every run."""
    labels: list[str]
    archives: list[str]
    status: list[str]
    attempts: np.ndarray
    errors: list[str]
    figures: dict[str, np.ndarray]
    """Scalar figure -> one value per run (NaN unless complete)."""
    units: dict[str, str]
    accuracy: np.ndarray | None
    """(run, after, task), training sweeps only."""

    @property
    def factors(self) -> list[Factor]:
        return self.spec.factors

    @property
    def pooled(self) -> int | None:
        """The factor whose runs are repeats of one grid point (the seed, swept on its own
        axis), or None."""
        return next((i for i, f in enumerate(self.factors) if f.names == (POOLED,)), None)

    @property
    def kept(self) -> list[int]:
        """The factors that make a grid point: all but the pooled one."""
        return [i for i in range(len(self.factors)) if i != self.pooled]

    @property
    def grouped_by(self) -> list[str]:
        """The swept options that define a grid point."""
        return [name for i in self.kept for name in self.factors[i].names]

    def groups(self) -> list[tuple[dict[str, Any], list[int]]]:
        """Each grid point (the seeds pooled) and its runs, in grid order."""
        found: dict[tuple[int, ...], tuple[dict[str, Any], list[int]]] = {}
        for i, point in enumerate(self.points):
            key = tuple(int(self.positions[i, f]) for f in self.kept)
            values = {name: point[name] for name in self.grouped_by}
            found.setdefault(key, (values, []))[1].append(i)
        return list(found.values())


def _text(values: np.ndarray) -> list[str]:
    return [v.decode(errors="replace") for v in values]


def sweep_runs(archive: Archive) -> SweepRuns:
    """The runs of the sweep whose index is ``archive``."""
    config = archive.config
    spec = ordered_spec(config)
    factors = spec.factors
    points = []
    for position in archive.array("runs/position"):
        point: dict[str, Any] = {}
        for factor, step in zip(factors, position, strict=True):
            point.update(zip(factor.names, factor.values[int(step)], strict=True))
        points.append(point)
    names = [n for n in archive.names("figures") if n != "accuracy"]
    figures = {n: archive.array(f"figures/{n}") for n in names}
    units = {n: archive.described(f"figures/{n}").units or "1" for n in names}
    tasks = list(config.get("tasks", []))
    return SweepRuns(
        spec, tasks, archive.array("runs/position"), points, _text(archive.array("runs/label")),
        _text(archive.array("runs/archive")),
        [s.decode() for s in archive.array("runs/status")], archive.array("runs/attempts"),
        _text(archive.array("runs/error")), figures, units,
        archive.array("figures/accuracy") if tasks else None)


def ordered_spec(config: dict[str, Any]) -> SweepSpec:
    """The spec an index records, with its axes in the grid's order (the JSON keeps the
    tables' keys sorted; ``factors`` keeps the order)."""
    spec = SweepSpec.model_validate(config["spec"])
    groups = [list(names) for names in config["factors"]]
    zipped = {frozenset(group): group for group in spec.zip}
    return spec.model_copy(update={
        "grid": {names[0]: spec.grid[names[0]] for names in groups if len(names) == 1},
        "zip": [{n: zipped[frozenset(names)][n] for n in names}
                for names in groups if len(names) > 1]})


def _stats(values: np.ndarray) -> dict[str, Any]:
    done = values[~np.isnan(values)]
    n = int(done.size)
    return {"mean": float(done.mean()) if n else None,
            "std": float(done.std(ddof=1)) if n > 1 else None,
            "min": float(done.min()) if n else None,
            "max": float(done.max()) if n else None, "count": n}


def figure_columns(runs: SweepRuns) -> dict[str, np.ndarray]:
    """Every key figure as one value per run: accuracy on each task after each task first
    (``accuracy mnist after fashion-mnist``), then the scalars."""
    columns: dict[str, np.ndarray] = {}
    if runs.accuracy is not None:
        for a, after in enumerate(runs.tasks):
            for t, task in enumerate(runs.tasks):
                values = runs.accuracy[:, a, t]
                if not np.isnan(values).all():
                    columns[f"accuracy {task} after {after}"] = values
    columns.update(runs.figures)
    return columns


def sweep_summary(archive: Archive) -> dict[str, Any]:
    """Runs by status, and per grid point the mean, std, min, max and count over seeds of
    every key figure (JSON-ready)."""
    runs = sweep_runs(archive)
    columns = figure_columns(runs)
    groups = []
    for point, members in runs.groups():
        statuses = [runs.status[i] for i in members]
        groups.append({
            "point": point, "runs": len(members),
            "complete": statuses.count("complete"), "failed": statuses.count("failed"),
            "figures": {name: _stats(values[members]) for name, values in columns.items()},
        })
    counts = {s: runs.status.count(s) for s in ("complete", "failed", "running", "pending")}
    failures = [{"run": label, "error": error} for label, status, error
                in zip(runs.labels, runs.status, runs.errors, strict=True) if status == "failed"]
    return {"command": runs.spec.command, "axes": runs.spec.axes, "grouped_by": runs.grouped_by,
            "pooled": POOLED if runs.pooled is not None else None, "tasks": runs.tasks,
            "runs": len(runs.status), "runs_by_status": counts, "failures": failures,
            "units": {name: runs.units.get(name, "1") for name in columns},
            "groups": groups}


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None, so that it is valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
