"""A training run's archive (schema in labctl.archive.schema): epochs, writes, checkpoints.

Every epoch appends its accuracies and statistics, overwrites the per-device write counts and
writes the full training state into the checkpoint slot not holding the last good one; the
position record that names the good slot is written only once that slot is durable. A run
killed at any moment therefore resumes from its last completed epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labctl.archive import Archive, ArchiveError, ArchiveWriter
from labctl.archive.schema import ACCURACY_DTYPE, EPOCH_DTYPE, Array, train_layout
from labctl.learning.config import TrainConfig
from labctl.learning.trainer import EpochRecord, Position, Resume, Trainer, TrainResult
from labctl.reports.train import train_figures

SLOTS = ("a", "b")


def _checkpoint_arrays(state: dict[str, np.ndarray]) -> dict[str, Array]:
    arrays = {f"checkpoint/{slot}/{name}": Array(v.shape, v.dtype.str)
              for slot in SLOTS for name, v in state.items()}
    arrays["checkpoint/position"] = Array((4,), "<i8")
    return arrays


class TrainArchive:
    """Writes one training run as it goes; also continues a resumed run's archive."""

    def __init__(self, path: Path, trainer: Trainer, instruments: dict[str, str]) -> None:
        config = trainer.config
        layers = {name: tuple(p.shape) for name, p in trainer.model.hidden.items()}
        self.tasks = config.tasks
        self.writer = ArchiveWriter(
            path, "train", train_layout(layers, _checkpoint_arrays(trainer.state())),
            backend=config.backend, seed=config.seed, config=config.model_dump(mode="json"),
            instruments=instruments)
        self._slot = 1
        self._last_retries = 0

    def epoch_done(self, trainer: Trainer, position: Position) -> None:
        """Archive the epoch just finished, then checkpoint (the trainer's callback)."""
        result = trainer.result
        assert result is not None
        record = result.epochs[-1]
        self.record(record, self.tasks.index(record.task), result.write_counts,
                    trainer.store.link_stats()["link_retries"], trainer.store.bench_seconds())
        self.checkpoint(trainer, position)

    def record(self, record: EpochRecord, task_index: int, write_counts: dict[str, np.ndarray],
               link_retries: int, bench_time: float) -> None:
        """Append one epoch: accuracies on every task, chip statistics, write counts."""
        acc = np.zeros(len(self.tasks), ACCURACY_DTYPE)
        acc["trained_task"], acc["epoch"] = task_index, record.epoch
        acc["eval_task"] = np.arange(len(self.tasks))
        acc["accuracy"] = record.accuracy
        self.writer.append("accuracy", acc)
        row = np.zeros(1, EPOCH_DTYPE)
        row["task"], row["epoch"] = task_index, record.epoch
        row["level_changes"], row["writes"] = record.level_changes, record.writes
        row["pulses"], row["failed_writes"] = record.pulses, record.failures
        row["link_retries"] = link_retries - self._last_retries
        row["bench_time"], row["wall_time"] = bench_time, record.seconds
        self._last_retries = link_retries
        self.writer.append("epochs", row)
        for name, counts in write_counts.items():
            self.writer.write(f"device_writes/{name}", counts.astype(np.uint32))

    def checkpoint(self, trainer: Trainer, position: Position) -> None:
        """Write the state into the other slot, make it durable, then point at it."""
        slot = 1 - self._slot
        for name, value in trainer.state().items():
            self.writer.write(f"checkpoint/{SLOTS[slot]}/{name}", value)
        self.writer.flush()
        self.writer.write("checkpoint/position", np.array([slot, position.task,
                                                            position.epoch, 1]))
        self.writer.flush()
        self._slot = slot

    def carry_over(self, old: Path, trainer: Trainer, resume: Resume) -> None:
        """Copy the completed epochs of the run being resumed, then its checkpoint."""
        done = len(resume.epochs)
        with Archive(old) as archive:
            self.writer.append("accuracy", archive.table("accuracy")[: done * len(self.tasks)])
            self.writer.append("epochs", archive.table("epochs")[:done])
            self._last_retries = 0
        for name, counts in resume.write_counts.items():
            self.writer.write(f"device_writes/{name}", counts.astype(np.uint32))
        self.checkpoint(trainer, resume.position)

    def summary(self, result: TrainResult, link_stats: dict[str, int]) -> dict[str, Any]:
        """Key figures of the finished run (what ``labctl inspect --json`` shows): those
        recomputed from its tables, plus what only the run itself knows."""
        layers = list(result.write_counts)
        figures = train_figures(result.config.model_dump(mode="json"),
                                self.writer.table("accuracy"), self.writer.table("epochs"),
                                [self.writer.table(f"device_writes/{n}") for n in layers])
        return {**figures, "initial_writes": result.initial_writes, "memory": result.memory,
                "wall_time": result.wall_seconds, "bench_time": result.bench_seconds,
                **link_stats}

    def close(self, status: str, summary: dict[str, Any]) -> None:
        self.writer.close(status, summary)

    def abandon(self) -> None:
        self.writer.abandon()


def load_resume(path: Path) -> tuple[TrainConfig, Resume]:
    """The configuration and last checkpoint of the run archived in ``path``."""
    with Archive(path) as archive:
        if archive.kind != "train":
            raise ArchiveError(f"{path} is a {archive.kind} archive, not a training run")
        slot, task, epoch, valid = archive.array("checkpoint/position")
        if not valid:
            raise ArchiveError(f"{path} has no checkpoint yet (the run stopped in its first "
                               "epoch): start it again")
        prefix = f"checkpoint/{SLOTS[slot]}/"
        state = {name: archive.array(prefix + name) for name in archive.datasets(prefix)}
        # Runs archived before the rate warm-up existed trained without one.
        config = TrainConfig.model_validate({"lr_warmup": 0.0, **archive.config})
        accuracy = archive.table("accuracy")
        rows = archive.table("epochs")
        write_counts = {name: archive.array(f"device_writes/{name}")
                        for name in archive.names("device_writes")}
    epochs = []
    for row in rows:
        acc = accuracy[(accuracy["trained_task"] == row["task"])
                       & (accuracy["epoch"] == row["epoch"])]
        epochs.append(EpochRecord(task=config.tasks[row["task"]], epoch=int(row["epoch"]),
                                  accuracy=list(acc["accuracy"][np.argsort(acc["eval_task"])]),
                                  level_changes=int(row["level_changes"]),
                                  writes=int(row["writes"]), pulses=int(row["pulses"]),
                                  failures=int(row["failed_writes"]),
                                  seconds=float(row["wall_time"])))
    done = config.epochs * int(task) + int(epoch)
    return config, Resume(Position(int(task), int(epoch)), state, epochs[:done], write_counts)


