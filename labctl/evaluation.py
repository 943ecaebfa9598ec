"""``labctl evaluate``: a finished training run's weights left unwritten on their chip for given
times, read back and evaluated on every task; optionally refreshed after each read-back.

Times count from the run's last checkpoint, taken after its last epoch: on the simulated chip
the simulation is reloaded as it was then and its clock advanced; on the bench's chip the
weights have relaxed since in real time, and the evaluation waits for what is left of each
time. Each read-back's rows reach the archive's ``evaluation`` table in one atomic commit, so
an evaluation stopped at any moment keeps every read-back it finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labctl.archive import Archive, ArchiveError
from labctl.archive.schema import EVALUATION_DTYPE
from labctl.archive.writer import append_to_closed
from labctl.datasets import TaskData
from labctl.learning.archive import load_finished
from labctl.learning.backends import make_weight_store
from labctl.learning.store import WeightStore
from labctl.learning.trainer import Trainer


@dataclass(frozen=True)
class ReadBack:
    """Every task's accuracy on the weights as read back at one time, before or after a
    refresh, with what the refresh took."""

    after: float
    """Time asked for, since the last checkpoint (s)."""
    elapsed: float
    """Time that had passed when the weights were read (s)."""
    refreshed: bool
    accuracy: list[float]
    readback_error: float
    """Fraction of the network's cells nearer another level than their own."""
    writes: int = 0
    pulses: int = 0
    failures: int = 0
    bench_time: float = 0.0
    """Bench seconds the refresh took."""


def evaluate_archive(path: Path, afters: Sequence[float], refresh: bool,
                     data: Sequence[TaskData],
                     on_read_back: Callable[[ReadBack], None] | None = None) -> list[ReadBack]:
    """Read back and evaluate the weights of the run archived in ``path`` at each of
    ``afters`` (s), rewriting the drifted ones after each read-back with ``refresh``; every
    read-back is appended to the archive as it is taken."""
    config, state = load_finished(path)
    session = _next_session(path)
    store = make_weight_store(config, prepare=False)
    done: list[ReadBack] = []
    try:
        trainer = Trainer(config, data, store)
        trainer.restore(state, rewrite=False)
        for after in sorted(afters):
            elapsed = store.relax_until(after)
            store.refresh()
            done.append(_read_back(trainer, after, elapsed, False))
            _archive(path, session, done[-1])
            if on_read_back is not None:
                on_read_back(done[-1])
            if refresh:
                start = store.bench_seconds()
                stats = store.rewrite_drifted().values()
                done.append(_read_back(
                    trainer, after, elapsed, True, writes=sum(s.writes for s in stats),
                    pulses=sum(s.pulses for s in stats),
                    failures=sum(s.failures for s in stats),
                    bench_time=store.bench_seconds() - start))
                _archive(path, session, done[-1])
                if on_read_back is not None:
                    on_read_back(done[-1])
    finally:
        store.close()
    return done


def _read_back(trainer: Trainer, after: float, elapsed: float, refreshed: bool,
               **cost: float) -> ReadBack:
    accuracy = [trainer.evaluate(j) for j in range(len(trainer.data))]
    return ReadBack(after, elapsed, refreshed, accuracy, _readback_error(trainer.store,
                                                                         trainer), **cost)


def _readback_error(store: WeightStore, trainer: Trainer) -> float:
    """The layers' read-back errors, weighted by their weights (two cells each)."""
    sizes = {name: hidden.numel() for name, hidden in trainer.model.hidden.items()}
    total = sum(sizes.values())
    return float(sum(store.readback_error(name) * n for name, n in sizes.items()) / total)


def _next_session(path: Path) -> int:
    with Archive(path) as archive:
        try:
            rows = archive.table("evaluation")
        except ArchiveError:  # no evaluation yet
            return 1
    return int(rows["session"].max()) + 1 if rows.size else 1


def _archive(path: Path, session: int, point: ReadBack) -> None:
    rows = np.zeros(len(point.accuracy), EVALUATION_DTYPE)
    rows["session"], rows["after"], rows["elapsed"] = session, point.after, point.elapsed
    rows["refreshed"], rows["task"] = point.refreshed, np.arange(len(point.accuracy))
    rows["accuracy"], rows["readback_error"] = point.accuracy, point.readback_error
    rows["writes"], rows["pulses"] = point.writes, point.pulses
    rows["failed_writes"], rows["bench_time"] = point.failures, point.bench_time
    rows["time"] = time.time()
    append_to_closed(path, "evaluation", rows)
