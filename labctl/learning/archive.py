"""A training run's archive (schema in labctl.archive.schema): epochs, writes, checkpoints.

Every epoch appends its accuracies and statistics, overwrites the per-device write counts and
the full training state, and commits all of it at once: a run killed at any moment resumes
from its last completed epoch, with counters that match its checkpoint exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from drivers.errors import ConfigError
from labctl.archive import Archive, ArchiveError, ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import (
    ACCURACY_DTYPE,
    EPOCH_DTYPE,
    LAYER_EPOCH_DTYPE,
    MAPPING_DTYPE,
    RESUME_DTYPE,
    Array,
    train_layout,
)
from labctl.learning.config import TrainConfig
from labctl.learning.mapping import Block
from labctl.learning.trainer import EpochRecord, Position, Resume, Trainer, TrainResult
from labctl.reports.train import layer_figures, train_figures

STATE = "checkpoint/state/"
IDEAL = 2
"""``on`` of a layer the software backend holds: no cells at all."""


@dataclass(frozen=True)
class Origin:
    """The archive a resumed run continues: kept in the new file's history."""

    path: Path
    created: str | None


def _layer_epochs(archive: Archive, epochs: int) -> np.ndarray:
    """The per-layer rows of the first ``epochs`` epochs (none from an older archive)."""
    try:
        rows = archive.table("layer_epochs")
    except ArchiveError:
        return np.zeros(0, LAYER_EPOCH_DTYPE)
    layers = np.unique(rows["layer"]).size
    return rows[: epochs * layers]


def mapping_rows(placement: list[tuple[Block, int]]) -> np.ndarray:
    """The ``mapping`` table of a store's placement."""
    rows = np.zeros(len(placement), MAPPING_DTYPE)
    for row, (block, on) in zip(rows, placement, strict=True):
        row["layer"] = int(block.layer.removeprefix("fc"))
        row["input_start"], row["input_stop"] = block.inputs
        row["output_start"], row["output_stop"] = block.outputs
        row["tile"], row["col"], row["on"] = block.tile, block.col, on
    return rows


class TrainArchive:
    """Writes one training run as it goes; a resume rewrites the run's file atomically with
    everything it held, its history and the new session."""

    def __init__(self, path: Path, trainer: Trainer, instruments: dict[str, str],
                 provenance: Provenance | None = None, origin: Origin | None = None) -> None:
        config = trainer.config
        layers = {name: tuple(p.shape) for name, p in trainer.model.hidden.items()}
        checkpoint = {STATE + name: Array(v.shape, v.dtype.str)
                      for name, v in trainer.state().items()}
        self.tasks = config.tasks
        self.epochs = config.epochs
        self.writer = ArchiveWriter(
            path, "train", train_layout(layers, config.tasks, config.epochs, checkpoint),
            backend=config.backend, seed=config.seed, config=config.model_dump(mode="json"),
            instruments=instruments, provenance=provenance,
            created=origin.created if origin else None, publish=origin is None)
        placement = trainer.store.placement()
        self.writer.append("mapping", mapping_rows(placement))
        self._on = {block.layer: on for block, on in placement}
        self._last_retries = 0

    def epoch_done(self, trainer: Trainer, position: Position) -> None:
        """Archive the epoch just finished with the checkpoint after it (the trainer's
        callback), in one commit."""
        result = trainer.result
        assert result is not None
        record = result.epochs[-1]
        with self.writer.together():
            self.record(record, self.tasks.index(record.task), len(result.epochs) - 1,
                        result.write_counts, trainer.store.link_stats()["link_retries"],
                        trainer.store.bench_seconds())
            self.checkpoint(trainer, position)
        self.writer.commit()

    def record(self, record: EpochRecord, task_index: int, row_index: int,
               write_counts: dict[str, np.ndarray], link_retries: int,
               bench_time: float) -> None:
        """Append one epoch: accuracies on every task, chip statistics, write counts."""
        acc = np.zeros(len(self.tasks), ACCURACY_DTYPE)
        acc["trained_task"], acc["epoch"] = task_index, record.epoch
        acc["eval_task"] = np.arange(len(self.tasks))
        acc["accuracy"] = record.accuracy
        self.writer.append("accuracy", acc)
        self.writer.write("accuracy_curves/accuracy", np.asarray(record.accuracy), row_index)
        row = np.zeros(1, EPOCH_DTYPE)
        row["task"], row["epoch"] = task_index, record.epoch
        row["level_changes"], row["writes"] = record.level_changes, record.writes
        row["pulses"], row["failed_writes"] = record.pulses, record.failures
        row["link_retries"] = link_retries - self._last_retries
        row["bench_time"], row["wall_time"] = bench_time, record.seconds
        self._last_retries = link_retries
        self.writer.append("epochs", row)
        layers = np.zeros(len(record.layers), LAYER_EPOCH_DTYPE)
        for out, (name, stats) in zip(layers, record.layers.items(), strict=True):
            out["task"], out["epoch"] = task_index, record.epoch
            out["layer"], out["on"] = int(name.removeprefix("fc")), self._on.get(name, IDEAL)
            out["writes"], out["pulses"] = stats.writes, stats.pulses
            out["failed_writes"], out["readback_error"] = stats.failures, stats.readback_error
        self.writer.append("layer_epochs", layers)
        for name, counts in write_counts.items():
            self.writer.write(f"device_writes/{name}", counts.astype(np.uint32))

    def checkpoint(self, trainer: Trainer, position: Position) -> None:
        """The full training state and where training continues from it."""
        for name, value in trainer.state().items():
            self.writer.write(STATE + name, value)
        self.writer.write("checkpoint/position", np.array([position.task, position.epoch, 1]))

    def carry_over(self, old: Path, trainer: Trainer, resume: Resume) -> None:
        """Copy the completed epochs and history of the run being resumed, record this resume
        and the checkpoint, and commit: the old file is replaced only now, in one step."""
        done = len(resume.epochs)
        with Archive(old) as archive:
            self.writer.append("accuracy", archive.table("accuracy")[: done * len(self.tasks)])
            self.writer.append("epochs", archive.table("epochs")[:done])
            self.writer.append("resumes", archive.table("resumes"))
            self.writer.append("layer_epochs", _layer_epochs(archive, done))
        for i, record in enumerate(resume.epochs):
            self.writer.write("accuracy_curves/accuracy", np.asarray(record.accuracy), i)
        row = np.zeros(1, RESUME_DTYPE)
        row["time"], row["task"], row["epoch"] = time.time(), *(
            (resume.position.task, resume.position.epoch))
        self.writer.append("resumes", row)
        for name, counts in resume.write_counts.items():
            self.writer.write(f"device_writes/{name}", counts.astype(np.uint32))
        self._last_retries = int(resume.state.get("store/counters", np.zeros(3))[1])
        self.checkpoint(trainer, resume.position)
        self.writer.commit()

    def summary(self, result: TrainResult, link_stats: dict[str, int],
                wear: dict[str, float] | None = None) -> dict[str, Any]:
        """Key figures of the finished run (what ``labctl inspect --json`` shows): those
        recomputed from its tables, plus what only the run itself knows (``wear``, the
        devices' wear on a simulated chip)."""
        layers = list(result.write_counts)
        figures = train_figures(result.config.model_dump(mode="json"),
                                self.writer.table("accuracy"), self.writer.table("epochs"),
                                [result.write_counts[n] for n in layers])
        per_layer = self.writer.table("layer_epochs")
        if per_layer.size:
            figures["layers"] = layer_figures(per_layer)
        return {**figures, "initial_writes": result.initial_writes, "memory": result.memory,
                "wall_time": result.wall_seconds, "bench_time": result.bench_seconds,
                "resumes": len(self.writer.table("resumes")), **link_stats,
                **({"wear": wear} if wear is not None else {})}

    def close(self, status: str, summary: dict[str, Any]) -> None:
        self.writer.close(status, summary)

    def fail(self, reason: str) -> None:
        self.writer.fail(reason)


def _config(archive: Archive) -> TrainConfig:
    # Runs archived before the rate warm-up existed trained without one.
    return TrainConfig.model_validate({"lr_warmup": 0.0, **archive.config})


def _checkpoint(archive: Archive) -> tuple[int, int, dict[str, np.ndarray]]:
    """Task, epoch and training state of the archive's last checkpoint (schema 1 or 2)."""
    position = archive.array("checkpoint/position")
    if archive.schema_version == 1:
        slot, task, epoch, valid = position
        prefix = f"checkpoint/{'ab'[slot]}/"
    else:
        task, epoch, valid = position
        prefix = STATE
    if not valid:
        raise ArchiveError(f"{archive.path} has no checkpoint yet (the run stopped in its "
                           "first epoch): start it again")
    return int(task), int(epoch), {name: archive.array(prefix + name)
                                   for name in archive.datasets(prefix)}


def _train_archive(archive: Archive) -> None:
    if archive.kind != "train":
        raise ArchiveError(f"{archive.path} is a {archive.kind} archive, not a training run")
    archive.verify()


def load_finished(path: Path) -> tuple[TrainConfig, dict[str, np.ndarray]]:
    """The configuration and final training state of the complete run archived in ``path``,
    whose weights a chip (or the simulated one in the state) still holds."""
    with Archive(path) as archive:
        _train_archive(archive)
        if archive.status != "complete":
            raise ArchiveError(f"{path} holds a training run that is {archive.status}, not "
                               f"finished: finish it first (labctl train --resume {path})")
        if archive.backend == "software":
            raise ConfigError(f"{path} is a software run: its weights are ideal levels on the "
                              "host, with nothing to relax or read back; evaluate a mock or "
                              "chip run")
        _, _, state = _checkpoint(archive)
        config = _config(archive)
        ended = archive.meta.get("ended")
    if "store/written_at" not in state and ended:  # archived before checkpoints said when
        state["store/written_at"] = np.array([datetime.fromisoformat(ended).timestamp()])
    return config, state


def load_resume(path: Path) -> tuple[TrainConfig, Resume, Origin]:
    """The configuration and last checkpoint of the run archived in ``path`` (schema 1 or 2)."""
    with Archive(path) as archive:
        _train_archive(archive)
        if archive.status == "complete":
            raise ArchiveError(f"{path} holds a complete run: there is nothing to resume; "
                               "start a new run (without --resume)")
        task, epoch, state = _checkpoint(archive)
        config = _config(archive)
        accuracy = archive.table("accuracy")
        rows = archive.table("epochs")
        write_counts = {name: archive.array(f"device_writes/{name}")
                        for name in archive.names("device_writes")}
        origin = Origin(path, archive.meta.get("created"))
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
    if len(epochs) < done:
        raise ArchiveError(f"{path}: the checkpoint is after epoch {done} but the archive "
                           f"records {len(epochs)} (the file is damaged)")
    return config, Resume(Position(int(task), int(epoch)), state, epochs[:done],
                          write_counts), origin
