"""What a Dask worker does with one run: bring its archive to completion, whatever state an
earlier attempt left it in, and hand back only the run's key figures.

A run is idempotent: a complete archive is read, not redone; an unfinished one (its worker or
the sweep was killed) continues from its checkpoint; a failed one starts again only when the
sweep retries failures. A lock file beside the archive keeps two workers (two sweeps, or a
worker of a sweep that was killed and one of its rerun) from writing one run at once.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from filelock import FileLock

from drivers.errors import LabError
from labctl.sweep.commands import command
from labctl.sweep.plan import RunPlan

TOPIC = "labctl-sweep"
"""Dask event topic on which workers say how far their runs have got."""


class Action(StrEnum):
    """What a worker did to bring a run to its end."""

    FOUND = "found"
    """The archive was already complete (or failed, not retried): nothing was run."""
    STARTED = "started"
    RESUMED = "resumed"


@dataclass(frozen=True)
class ArchiveState:
    """How a run's archive was left: missing, complete, failed, unfinished or unreadable."""

    status: str
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def archive_state(path: Path) -> ArchiveState:
    """The state of the run archive at ``path``, read without loading its data."""
    from labctl.archive import Archive, ArchiveError
    from labctl.reports import summarise

    if not path.exists():
        return ArchiveState("missing")
    try:
        with Archive(path) as archive:
            if archive.status == "complete":
                return ArchiveState("complete", summarise(archive))
            if archive.status == "failed":
                return ArchiveState("failed", error=archive.meta.get("error", "failed"))
            return ArchiveState("unfinished")
    except ArchiveError as err:
        return ArchiveState("unreadable", error=f"{err}; delete it, or rerun with "
                                                "--retry-failed to start the run again")


@dataclass(frozen=True)
class Outcome:
    """What became of one run: only its key figures travel back to the sweep's client."""

    key: str
    status: str
    """complete or failed."""
    action: Action
    figures: dict[str, float] = field(default_factory=dict)
    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)
    """Accuracy on every task after every task (training runs)."""
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 0
    """Times a worker has started or resumed the run, over every session of the sweep."""


def attempts_of(archive: Path) -> int:
    """How often workers have started or resumed the run archived at ``archive`` (its
    ``.attempts`` file, beside it: counted where the run happens, so no count is lost with a
    worker or a client)."""
    try:
        return int(archive.with_suffix(".attempts").read_text())
    except (OSError, ValueError):
        return 0


def count_attempt(archive: Path) -> int:
    """Count one more attempt at the run archived at ``archive`` (hold its lock)."""
    n = attempts_of(archive) + 1
    part = archive.with_suffix(".attempts.part")
    part.write_text(f"{n}\n")
    part.replace(archive.with_suffix(".attempts"))
    return n


def outcome_of(plan: RunPlan, state: ArchiveState, action: Action,
               seconds: float = 0.0) -> Outcome:
    """The outcome a run's archive records."""
    attempts = attempts_of(plan.archive)
    if state.status != "complete":
        return Outcome(plan.key, "failed", action, error=state.error or state.status,
                       seconds=seconds, attempts=attempts)
    cmd = command(plan.command)
    return Outcome(plan.key, "complete", action, cmd.scalars(state.summary),
                   state.summary.get("accuracy_after_task", {}), seconds=seconds,
                   attempts=attempts)


def execute(plan: RunPlan, data_dir: str | None, retry_failed: bool) -> Outcome:
    """Bring ``plan``'s archive to an end and return its outcome (a Dask task)."""
    plan.archive.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(plan.archive.with_suffix(".lock")):
        state = archive_state(plan.archive)
        if state.status == "complete" or (state.status in ("failed", "unreadable")
                                          and not retry_failed):
            return outcome_of(plan, state, Action.FOUND)
        action = Action.RESUMED if state.status == "unfinished" else Action.STARTED
        cmd = command(plan.command)
        attempts = count_attempt(plan.archive)
        began = time.perf_counter()
        try:
            with _bench_lock(cmd.setup(plan.config)):
                _say(plan, action.value)
                cmd.run(plan.config, plan.archive, Path(data_dir) if data_dir else None,
                        lambda line: _say(plan, line), resume=action is Action.RESUMED)
        except LabError as err:
            return Outcome(plan.key, "failed", action, error=str(err),
                           seconds=time.perf_counter() - began, attempts=attempts)
        except Exception as err:  # the run's archive records it as failed; the sweep goes on
            return Outcome(plan.key, "failed", action,
                           error=f"unexpected {type(err).__name__}: {err}",
                           seconds=time.perf_counter() - began, attempts=attempts)
        return outcome_of(plan, archive_state(plan.archive), action,
                          time.perf_counter() - began)


def _bench_lock(setup: str | None) -> AbstractContextManager[Any]:
    """Hold the bench of ``setup`` (cluster-wide) while a run drives it: workers share one
    set of instruments one run at a time. Runs on a simulated chip need no lock."""
    from distributed import Lock, get_worker

    if setup is None:
        return nullcontext()
    try:
        get_worker()
    except ValueError:  # not on a Dask worker: nothing else runs in this sweep
        return nullcontext()
    return Lock(f"labctl-bench:{Path(setup).resolve()}")


def _say(plan: RunPlan, line: str) -> None:
    """Tell the sweep's client how far the run has got (nothing outside a Dask worker)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return
    worker.log_event(TOPIC, {"key": plan.key, "line": line})
