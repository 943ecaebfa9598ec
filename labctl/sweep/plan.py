"""A sweep resolved into runs: every grid point's full configuration, checked before any run
starts, and the archive it goes to, named by a stable hash of that configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.errors import ConfigError
from labctl.archive.paths import SWEEP_INDEX
from labctl.sweep.commands import SweepCommand, command
from labctl.sweep.spec import Point, SweepSpec, nested, stable_hash

RUNS = "runs"
"""Folder of the run archives, inside the sweep's folder."""


@dataclass(frozen=True)
class RunPlan:
    """One run of a sweep: what a worker needs to bring its archive to completion."""

    index: int
    key: str
    """Stable hash of the command and its resolved configuration."""
    command: str
    config: dict[str, Any]
    point: dict[str, Any]
    """The options the grid sets for this run."""
    label: str
    """``seed=0, meta=3``: how messages and tables name the run."""
    position: tuple[int, ...]
    """Index along every axis of the grid."""
    archive: Path


@dataclass(frozen=True)
class SweepPlan:
    """Every run of a sweep, in grid order."""

    spec: SweepSpec
    directory: Path
    runs: list[RunPlan]

    @property
    def command(self) -> SweepCommand:
        return command(self.spec.command)

    @property
    def index_path(self) -> Path:
        return self.directory / SWEEP_INDEX

    @property
    def tasks(self) -> list[str]:
        """Every task any run trains on, in order of first appearance."""
        seen: dict[str, None] = {}
        for run in self.runs:
            seen.update(dict.fromkeys(self.command.tasks(run.config)))
        return list(seen)


def plan_sweep(spec: SweepSpec, directory: Path) -> SweepPlan:
    """Resolve every grid point with the command's own validation; the first point that
    fails is one ConfigError naming it."""
    cmd = command(spec.command)
    directory = directory.resolve()
    cmd.check_names([*spec.options, *spec.axes])
    runs = []
    for point in spec.points():
        config = _resolved(cmd, spec, point)
        key = run_key(cmd.name, config)
        archive = directory / RUNS / f"{cmd.name}-{key}.h5"
        runs.append(RunPlan(point.index, key, cmd.name, config, dict(point.options),
                            point.label(), point.position, archive))
    keys = [r.key for r in runs]
    if len(set(keys)) != len(keys):
        twin = next(r for r in runs if keys.count(r.key) > 1)
        raise ConfigError(f"grid point {twin.label} resolves to the same run as another point "
                          "(an axis that changes nothing): remove the repeated value")
    return SweepPlan(spec, directory, runs)


def run_key(command: str, config: dict[str, Any]) -> str:
    """The stable name of a run: a hash of its command and resolved configuration, leaving
    out the options it leaves unset (None, {}, []), so that a labctl that adds an option
    without changing what existing runs do keeps their names, and a sweep continues across
    the upgrade."""
    given = {name: value for name, value in config.items() if value not in (None, {}, [])}
    return stable_hash({"command": command, "config": given})


def _resolved(cmd: SweepCommand, spec: SweepSpec, point: Point) -> dict[str, Any]:
    try:
        return cmd.configure(nested({**spec.options, **point.options}))
    except ConfigError as err:
        raise ConfigError(f"grid point {point.index} ({point.label()}): {err}") from None
