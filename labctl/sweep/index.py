"""The sweep's index ``DIR/sweep.h5`` (kind "sweep" in ``labctl.archive.schema``): every
run's configuration, status and key figures, committed as runs finish.

The run archives are the record; the index is rebuilt from them whenever the sweep starts, so
it can never disagree with them for long, and losing it loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drivers.errors import ConfigError
from labctl.archive import Archive, ArchiveError, ArchiveWriter
from labctl.archive.schema import Array, Layout
from labctl.sweep.plan import SweepPlan
from labctl.sweep.worker import Outcome, attempts_of

ERROR_BYTES = 400
"""Longest failure message kept in the index (the run's archive keeps it whole)."""
STATUS = np.dtype("S11")


@dataclass(frozen=True)
class Previous:
    """What an earlier session of the sweep left in its index."""

    created: str | None = None
    failures: dict[str, str] = field(default_factory=dict)
    """Run key -> why it failed, for the failed runs (some fail before any archive)."""


def previous_index(plan: SweepPlan) -> Previous:
    """What the index already in the sweep's folder holds (nothing if there is none);
    ConfigError if it belongs to another sweep."""
    path = plan.index_path
    if not path.exists():
        return Previous()
    try:
        with Archive(path) as archive:
            kind, config, created = archive.kind, archive.config, archive.meta.get("created")
            runs = _runs(archive) if kind == "sweep" else []
    except ArchiveError as err:
        raise ConfigError(f"{err}; delete {path} to rebuild the index (the run archives "
                          "are kept and reused)") from None
    if kind != "sweep":
        raise ConfigError(f"{path} is a {kind} archive, not a sweep index: choose another --out")
    if config.get("identity") != plan.spec.identity:
        raise ConfigError(f"{plan.directory} holds the index of another sweep (command "
                          f"{config.get('spec', {}).get('command')!r}, id "
                          f"{config.get('identity')}): choose another --out, or delete {path} "
                          "to start this sweep there (runs of the same config are reused)")
    return Previous(created, {key: error for key, status, error in runs if status == "failed"})


def _runs(archive: Archive) -> list[tuple[str, str, str]]:
    """(key, status, error) of every run an index records."""
    return [(k.decode(), s.decode(), e.decode(errors="replace"))
            for k, s, e in zip(archive.array("runs/key"), archive.array("runs/status"),
                               archive.array("runs/error"), strict=True)]


def _encoded(texts: list[str], limit: int | None = None) -> np.ndarray:
    data = [t.encode() for t in texts]
    if limit is not None:
        data = [d[:limit] for d in data]
    return np.array(data, dtype=f"S{max(1, *map(len, data))}")


def axis_values(values: list[Any]) -> np.ndarray:
    """One swept option's values as a typed array: numbers, flags, text, or JSON text."""
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype="?")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype="<i8")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype="<f8")
    if all(isinstance(v, str) for v in values):
        return _encoded(values)
    return _encoded([json.dumps(v) for v in values])


@dataclass
class SweepIndex:
    """Writes the index of one sweep; every change is committed at once (it is small)."""

    plan: SweepPlan
    writer: ArchiveWriter
    attempts: list[int]

    @classmethod
    def create(cls, plan: SweepPlan, previous: Previous) -> SweepIndex:
        """A new index of ``plan``, all runs pending, keeping what the previous one knew that
        the run archives do not: when the sweep began and which runs failed without one."""
        runs = plan.runs
        n = len(runs)
        static: dict[str, np.ndarray] = {
            "runs/key": np.array([r.key.encode() for r in runs], dtype="S16"),
            "runs/archive": _encoded([str(r.archive.relative_to(plan.directory)) for r in runs]),
            "runs/label": _encoded([r.label for r in runs]),
            "runs/config": _encoded([json.dumps(r.config, sort_keys=True) for r in runs]),
            "runs/position": np.array([r.position for r in runs], dtype="<i4"),
        }
        static.update({f"axes/{name}": axis_values([r.point[name] for r in runs])
                       for name in plan.spec.axes})
        arrays = {name: Array(v.shape, v.dtype.str, "1", ("run", "factor")[: v.ndim])
                  for name, v in static.items()}
        arrays["runs/status"] = Array((n,), STATUS.str, "1", ("run",))
        arrays["runs/attempts"] = Array((n,), "<u2", "1", ("run",))
        arrays["runs/error"] = Array((n,), f"S{ERROR_BYTES}", "1", ("run",))
        for figure in plan.command.figures:
            arrays[f"figures/{figure.name}"] = Array((n,), "<f8", figure.units, ("run",),
                                                     float("nan"))
        tasks = plan.tasks
        if tasks:
            arrays["figures/accuracy"] = Array((n, len(tasks), len(tasks)), "<f8", "1",
                                               ("run", "after", "task"), float("nan"))
        config = {"spec": plan.spec.model_dump(mode="json"), "identity": plan.spec.identity,
                  "factors": [list(f.names) for f in plan.spec.factors], "tasks": tasks,
                  "figures": {f.name: f.description for f in plan.command.figures}}
        backends = sorted({plan.command.backend(r.config) for r in runs})
        writer = ArchiveWriter(plan.index_path, "sweep", Layout(arrays=arrays),
                               backend=",".join(backends), seed=-1, config=config,
                               created=previous.created, publish=False)
        for name, values in static.items():
            writer.write(name, values)
        writer.write("runs/status", np.full(n, b"pending", STATUS))
        attempts = [attempts_of(r.archive) for r in runs]
        writer.write("runs/attempts", np.array(attempts, "<u2"))
        writer.commit()
        return cls(plan, writer, attempts)

    def started(self, run: int) -> None:
        """A worker has started (or resumed) run ``run``: one attempt more, until the run's
        outcome gives the exact count."""
        self.attempts[run] += 1
        self.writer.write("runs/status", np.array(b"running", STATUS), run)
        self.writer.write("runs/attempts", np.array(self.attempts[run], "<u2"), run)
        self.writer.commit()

    def finished(self, run: int, outcome: Outcome, commit: bool = True) -> None:
        """Run ``run`` has ended: its status, figures or error (committed now unless
        ``commit`` is off, for many runs recorded at once)."""
        with self.writer.together():
            self.writer.write("runs/status", np.array(outcome.status.encode(), STATUS), run)
            error = (outcome.error or "").encode()[:ERROR_BYTES]
            self.writer.write("runs/error", np.array(error, f"S{ERROR_BYTES}"), run)
            if outcome.attempts:
                self.attempts[run] = outcome.attempts
                self.writer.write("runs/attempts", np.array(outcome.attempts, "<u2"), run)
            for name, value in outcome.figures.items():
                self.writer.write(f"figures/{name}", np.array(value, "<f8"), run)
            if outcome.accuracy:
                self.writer.write("figures/accuracy", self._matrix(outcome.accuracy), run)
        if commit:
            self.writer.commit()

    def commit(self) -> None:
        self.writer.commit()

    def _matrix(self, accuracy: dict[str, dict[str, float]]) -> np.ndarray:
        tasks = self.plan.tasks
        matrix = np.full((len(tasks), len(tasks)), np.nan)
        for after, row in accuracy.items():
            for task, value in row.items():
                matrix[tasks.index(after), tasks.index(task)] = value
        return matrix

    def close(self, status: str, summary: dict[str, Any]) -> None:
        """Record how the sweep ended: "complete" once every run has ended (some may have
        failed), else "interrupted"."""
        self.writer.close(status, summary)

