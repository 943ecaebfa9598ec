"""Run a sweep on ``dask.distributed``: one task per run, on a LocalCluster of this machine
or on a running scheduler, with the index updated as runs end."""

from __future__ import annotations

import logging
import queue
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.errors import ConfigError, LabError
from labctl.sweep.index import SweepIndex, previous_index
from labctl.sweep.plan import RunPlan, SweepPlan
from labctl.sweep.worker import (
    TOPIC,
    Action,
    ArchiveState,
    Outcome,
    archive_state,
    attempts_of,
    execute,
    outcome_of,
)

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_TIMEOUT = "10s"
"""How long to try a --scheduler address before calling it unreachable."""
POLL = 0.5
"""Seconds between two looks at the runs while none ends."""
LOCAL_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "2s",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
"""Dask settings of the LocalCluster: with no dashboard to feed, its workers do not sample
the runs' stacks every 10 ms nor poll their event loops and memory many times a second,
which takes a run's own thread off the CPU (about 10 % of a sweep's wall time here). Nor do
they start with glibc's trim threshold at Dask's 64 KiB: setting it turns off malloc's
adaptive mmap threshold, so every tensor above 128 KiB is mapped and unmapped afresh, 17x the
page faults, and a training run took 2.3x as long per epoch as the same run outside the
sweep."""
QUIET_HTTP = {"dashboard_address": "127.0.0.1:0"}
"""The scheduler's HTTP routes (health, metrics) on a free loopback port: without a
dashboard they still take port 8787 on every interface, and a second sweep on the machine
warned that it was taken."""


@dataclass
class SweepState:
    """How far a sweep has got: what the progress display shows."""

    total: int
    complete: int = 0
    failed: int = 0
    running: dict[str, str] = field(default_factory=dict)
    """Label of each running run -> its last progress line."""
    actions: Counter[str] = field(default_factory=Counter)
    """How many runs were found complete, started and resumed."""
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(label, error) of every failed run."""

    @property
    def ended(self) -> int:
        return self.complete + self.failed


Watch = Callable[[SweepState, RunPlan | None, Outcome | None], None]
"""Called with the sweep's state at least twice a second, and with the run that has just
ended when one does."""


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a LocalCluster of ``workers``
    single-threaded processes; an unreachable scheduler is one ConfigError."""
    import dask
    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except Exception as err:  # whatever answers there (or nothing) is not a scheduler
            reason = (str(err) if isinstance(err, OSError | ValueError)
                      else f"what answers is not one: {type(err).__name__}")
            raise ConfigError(f"cannot reach a Dask scheduler at {scheduler!r} ({reason}): "
                              "start it (dask scheduler), or leave out --scheduler to run on "
                              "this machine") from None
        with client:
            yield client
        return
    with (dask.config.set(LOCAL_CONFIG),
          LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                       dashboard_address=None, scheduler_kwargs=QUIET_HTTP,
                       silence_logs=logging.CRITICAL) as cluster,
          Client(cluster) as client):
        yield client


def check_datasets(plan: SweepPlan, data_dir: Path | None,
                   announce: Callable[[str], None]) -> None:
    """Find (or fetch) every dataset the runs train on, before any run starts."""
    if not plan.tasks:
        return
    from labctl.datasets import DatasetFetcher
    from labctl.datasets.families import base_task

    fetcher = DatasetFetcher(data_dir, announce=announce)
    for files_of in dict.fromkeys(base_task(task) for task in plan.tasks):
        fetcher.files(files_of)


def run_sweep(plan: SweepPlan, *, workers: int, scheduler: str | None = None,
              retry_failed: bool = False, data_dir: Path | None = None,
              watch: Watch | None = None,
              announce: Callable[[str], None] = lambda line: None) -> SweepState:
    """Bring every run of ``plan`` to an end: runs already complete are kept, unfinished ones
    continue from their checkpoints, failed ones run again only with ``retry_failed``."""
    previous = previous_index(plan)
    check_datasets(plan, data_dir, announce)
    watch = watch or (lambda state, run, outcome: None)
    state = SweepState(len(plan.runs))
    given_dir = str(data_dir.resolve()) if data_dir is not None else None
    with dask_client(workers, scheduler) as client:
        index = SweepIndex.create(plan, previous)
        todo = []
        for run in plan.runs:
            found = archive_state(run.archive)
            if found.status == "missing" and run.key in previous.failures:
                found = ArchiveState("failed", error=previous.failures[run.key])
            if found.status == "complete" or (found.status in ("failed", "unreadable")
                                              and not retry_failed):
                _ended(state, index, run, outcome_of(run, found, Action.FOUND), commit=False)
            else:
                todo.append(run)
        index.commit()
        watch(state, None, None)
        try:
            _run(client, todo, given_dir, retry_failed, state, index, watch)
        except KeyboardInterrupt:
            index.close("interrupted", _summary(state))
            raise LabError(f"interrupted with {state.complete} of {state.total} runs complete; "
                           f"run the same command again to continue (index {plan.index_path})"
                           ) from None
        index.close("complete", _summary(state))
    return state


def _run(client: Client, todo: list[RunPlan], data_dir: str | None, retry_failed: bool,
         state: SweepState, index: SweepIndex, watch: Watch) -> None:
    from distributed import wait

    events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    client.subscribe_topic(TOPIC, lambda event: events.put(event[1]))
    futures: dict[Future, RunPlan] = {
        client.submit(execute, run, data_dir, retry_failed, key=f"labctl-run-{run.key}",
                      pure=False): run for run in todo}
    by_key = {run.key: run for run in todo}
    pending = set(futures)
    try:
        while pending:
            try:
                done, pending = wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            _drain(events, by_key, state, index)
            for future in done:
                run = futures[future]
                by_key.pop(run.key, None)
                _ended(state, index, run, _outcome(future, run), watch)
            if not done:
                watch(state, None, None)
    finally:
        client.cancel(list(pending))


def _drain(events: queue.SimpleQueue[dict[str, Any]], by_key: dict[str, RunPlan],
           state: SweepState, index: SweepIndex) -> None:
    """Apply the workers' progress messages."""
    while True:
        try:
            message = events.get_nowait()
        except queue.Empty:
            return
        run = by_key.get(message.get("key", ""))
        if run is None:  # a run that has ended, or another sweep's
            continue
        line = str(message.get("line", ""))
        if line in (Action.STARTED, Action.RESUMED):
            index.started(run.index)
        state.running[run.label] = line


def _outcome(future: Future, run: RunPlan) -> Outcome:
    """The run's outcome; a task Dask gave up on (its workers kept dying) is a failure."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        return Outcome(run.key, "failed", Action.STARTED,
                       error="the workers running it died repeatedly (out of memory, or "
                             "killed); the archive keeps its last checkpoint",
                       attempts=attempts_of(run.archive))
    except Exception as err:
        return Outcome(run.key, "failed", Action.STARTED,
                       error=f"{type(err).__name__}: {err}", attempts=attempts_of(run.archive))


def _ended(state: SweepState, index: SweepIndex, run: RunPlan, outcome: Outcome,
           watch: Watch | None = None, commit: bool = True) -> None:
    state.running.pop(run.label, None)
    state.actions[outcome.action.value] += 1
    if outcome.status == "complete":
        state.complete += 1
    else:
        state.failed += 1
        state.failures.append((run.label, outcome.error or "failed"))
    index.finished(run.index, outcome, commit)
    if watch is not None:
        watch(state, run, outcome)


def _summary(state: SweepState) -> dict[str, Any]:
    return {"runs": state.total, "complete": state.complete, "failed": state.failed,
            **{f"runs_{action}": n for action, n in sorted(state.actions.items())}}
