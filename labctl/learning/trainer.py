"""Train the quantized MLP on tasks in sequence, programming only level changes to the store.

Hidden weights and optimizer live on the host. After each optimizer step the new levels are
computed and the layers whose levels changed are programmed; the forward pass always uses what
the store holds. Every task is evaluated after every epoch (the continual-learning matrix).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch.optim.lr_scheduler import LRScheduler

from drivers.errors import LabError
from labctl.datasets.loader import TaskData, to_float
from labctl.learning.config import TrainConfig
from labctl.learning.model import BnState, QuantizedMLP
from labctl.learning.optimizer import MetaplasticAdam
from labctl.learning.quantizer import LevelGrid
from labctl.learning.schedule import task_scheduler
from labctl.learning.store import WeightStore, WriteStats


@dataclass(frozen=True)
class Position:
    """Where training continues: task index and epoch within it."""

    task: int
    epoch: int


class TrainingStopped(LabError):  # noqa: N818 - a stop, not a failure
    """Training was asked to stop (Ctrl-C) and stopped cleanly after a step."""

    def __init__(self, task: str, epoch: int, archive: Path | None = None) -> None:
        resume = f"labctl train --resume {archive}" if archive else "labctl train --resume"
        super().__init__(f"training stopped during {task} epoch {epoch + 1}; the bench is safe "
                         f"and the archive holds every completed epoch: continue with {resume}")
        self.task = task
        self.epoch = epoch

    def archived_in(self, archive: Path) -> TrainingStopped:
        """The same stop, telling the user the archive to resume from."""
        return TrainingStopped(self.task, self.epoch, archive)


@dataclass(frozen=True)
class LayerEpoch:
    """What one epoch wrote to one layer, and how well the layer holds its levels after."""

    writes: int = 0
    pulses: int = 0
    failures: int = 0
    readback_error: float = 0.0


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did and how every task scores after it."""

    task: str
    epoch: int
    """Epoch index within the task, from 0."""
    accuracy: list[float]
    """Test accuracy on every task, in config order."""
    level_changes: int
    writes: int
    pulses: int
    failures: int
    seconds: float
    layers: dict[str, LayerEpoch] = field(default_factory=dict)
    """Per layer; empty for epochs read back from an archive written before it."""


@dataclass(frozen=True)
class Resume:
    """A checkpoint to continue from, with the epochs and write counts already archived."""

    position: Position
    state: dict[str, np.ndarray]
    epochs: list[EpochRecord]
    write_counts: dict[str, np.ndarray]


@dataclass
class TrainResult:
    """Everything a run measured (the archive and the plots are written from this)."""

    config: TrainConfig
    epochs: list[EpochRecord] = field(default_factory=list)
    write_counts: dict[str, np.ndarray] = field(default_factory=dict)
    """Per weight (layer's shape): writes during training, initial programming excluded."""
    initial_writes: int = 0
    initial_pulses: int = 0
    memory: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    bench_seconds: float = 0.0

    @property
    def accuracy(self) -> np.ndarray:
        """(epochs in total, tasks) test accuracy after every epoch."""
        return np.array([e.accuracy for e in self.epochs])

    @property
    def after_task(self) -> np.ndarray:
        """(tasks, tasks): row i = accuracy on every task after training task i."""
        per_task = self.config.epochs
        return self.accuracy[per_task - 1::per_task]

    @property
    def level_changes(self) -> np.ndarray:
        """Level changes (= weights written) per epoch."""
        return np.array([e.level_changes for e in self.epochs])

    def all_write_counts(self) -> np.ndarray:
        """Writes per device (weight) over all layers, flattened."""
        return np.concatenate([c.reshape(-1) for c in self.write_counts.values()])


class Trainer:
    """One run: a model, its store and the data of every task."""

    def __init__(self, config: TrainConfig, data: Sequence[TaskData], store: WeightStore) -> None:
        self.config = config
        self.data = [d.limited(config.limit) for d in data]
        self.store = store
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.grid = LevelGrid(config.levels)
        self.model = QuantizedMLP(
            config.sizes, config.activation_bits, config.init_scale, self.generator
        )
        self.levels: dict[str, torch.Tensor] = {}
        self.task_bn: dict[int, BnState] = {}
        self.optimizer: MetaplasticAdam | None = None
        self.result: TrainResult | None = None
        """The run in progress (callbacks read its epochs and write counts)."""
        self._store_state: dict[str, np.ndarray] = {}
        self._before = np.zeros(3)
        """Initial writes, initial pulses and wall seconds of the run before a resume."""
        self._started: float | None = None
        self.stop = threading.Event()
        """Set it (e.g. from a SIGINT handler) to stop after the current step."""
        self.test = [(to_float(d.test_images), torch.as_tensor(d.test_labels).long())
                     for d in self.data]

    def run(
        self,
        on_batch: Callable[[str, int], None] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        on_checkpoint: Callable[[Trainer, Position], None] | None = None,
        resume: Resume | None = None,
    ) -> TrainResult:
        """Train every task in turn; ``on_batch(task, batches_per_epoch)`` reports progress.

        ``on_checkpoint(trainer, next_position)`` is called after every epoch, once the state
        is consistent; ``resume`` continues a run from such a checkpoint.
        """
        self._started = time.perf_counter()
        result = TrainResult(config=self.config)
        self.result = result
        result.memory = self.config.memory.footprint(self.model.synapses)
        position = Position(0, 0)
        if resume is None:
            for name, hidden in self.model.hidden.items():
                self.levels[name] = self.grid.index(hidden)
                stats = self.store.program(name, self.levels[name])
                result.initial_writes += stats.writes
                result.initial_pulses += stats.pulses
                result.write_counts[name] = np.zeros(tuple(hidden.shape), dtype=np.int64)
        else:
            position = resume.position
            self.restore(resume.state)
            result.epochs = list(resume.epochs)
            result.write_counts = {k: v.astype(np.int64) for k, v in resume.write_counts.items()}
            result.initial_writes, result.initial_pulses = (int(x) for x in self._before[:2])
        for task_index in range(position.task, len(self.data)):
            task = self.data[task_index]
            first = position.epoch if task_index == position.task else 0
            if first == 0 or self.optimizer is None:
                self.optimizer = self._fresh_optimizer()
            per_epoch = -(-len(task.train_labels) // self.config.batch_size)
            scheduler = task_scheduler(self.optimizer, self.config.lr_schedule,
                                       self.config.epochs * per_epoch, self.config.lr_warmup,
                                       start=first * per_epoch)
            for epoch in range(first, self.config.epochs):
                record = self._epoch(task_index, task, epoch, self.optimizer, scheduler, result,
                                     on_batch)
                result.epochs.append(record)
                if on_epoch is not None:
                    on_epoch(record)
                last = epoch + 1 == self.config.epochs
                if last and self.config.bn_scenario == "task":
                    self.task_bn[task_index] = self.model.bn_state()
                if on_checkpoint is not None:
                    on_checkpoint(self, Position(task_index + last, 0 if last else epoch + 1))
        result.wall_seconds = self._wall_seconds()
        result.bench_seconds = self.store.bench_seconds()
        return result

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to continue training exactly: weights, BN, moments, levels, RNG."""
        out = {f"model/{k}": v.detach().numpy().copy()
               for k, v in self.model.state_dict().items()}
        for task in range(len(self.data)):
            saved = self.task_bn.get(task)
            for k, v in self.model.norms.state_dict().items():
                out[f"task_bn/{task}/{k}"] = (saved[k] if saved else torch.full_like(v, torch.nan)
                                              ).numpy().copy()
        live = self.optimizer.state if self.optimizer is not None else {}
        steps = []
        for i, p in enumerate(self._params()):
            st = live.get(p, {})
            out[f"optim/{i}/m"] = (st["m"] if st else torch.zeros_like(p)).numpy().copy()
            out[f"optim/{i}/v"] = (st["v"] if st else torch.zeros_like(p)).numpy().copy()
            steps.append(st.get("step", 0))
        out["optim/steps"] = np.array(steps, dtype=np.int64)
        for name, hidden in self.model.hidden.items():
            levels = self.levels.get(name)
            levels = self.grid.index(hidden.detach()) if levels is None else levels
            out[f"levels/{name}"] = levels.numpy().astype(np.int8)
        out["rng"] = self.generator.get_state().numpy().copy()
        result = self.result
        out["run/counters"] = np.array([result.initial_writes if result else 0,
                                        result.initial_pulses if result else 0,
                                        self._wall_seconds()], dtype=np.float64)
        out |= {f"store/{k}": v for k, v in self.store.state().items()}
        return out

    def _wall_seconds(self) -> float:
        """Wall time of the run so far, over every session of a resumed run."""
        elapsed = 0.0 if self._started is None else time.perf_counter() - self._started
        return float(self._before[2]) + elapsed

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state` saved (the optimizer is rebuilt with its moments)."""
        self.model.load_state_dict({k.removeprefix("model/"): torch.from_numpy(v)
                                    for k, v in state.items() if k.startswith("model/")})
        self.task_bn = {}
        for task in range(len(self.data)):
            saved = {k: torch.from_numpy(state[f"task_bn/{task}/{k}"])
                     for k in self.model.norms.state_dict()}
            if not any(torch.isnan(v).any() for v in saved.values()):
                self.task_bn[task] = saved
        self.optimizer = self._fresh_optimizer()
        for i, p in enumerate(self._params()):
            step = int(state["optim/steps"][i])
            if step:
                self.optimizer.state[p] = {"step": step,
                                           "m": torch.from_numpy(state[f"optim/{i}/m"]).clone(),
                                           "v": torch.from_numpy(state[f"optim/{i}/v"]).clone()}
        self.levels = {name: torch.from_numpy(state[f"levels/{name}"].astype(np.int64))
                       for name in self.model.layer_names}
        self.generator.set_state(torch.from_numpy(state["rng"]))
        self._before = np.asarray(state.get("run/counters", np.zeros(3)), dtype=np.float64)
        self._store_state = {k.removeprefix("store/"): v for k, v in state.items()
                             if k.startswith("store/")}

    def restore(self, state: dict[str, np.ndarray], *, rewrite: bool = True
                ) -> dict[str, WriteStats]:
        """Load a checkpoint and bring the store back to it (per layer, the rewrites that
        took: none on a simulated chip, which is reloaded whole); without ``rewrite`` a chip
        is only read, to be evaluated as it is."""
        self.load_state(state)
        return self.store.resume(self.levels, self._store_state, rewrite=rewrite)

    def _params(self) -> list[torch.Tensor]:
        return [*self.model.hidden.values(), *self.model.bn_parameters()]

    def _fresh_optimizer(self) -> MetaplasticAdam:
        c = self.config
        return MetaplasticAdam(
            self.model.hidden.values(), self.model.bn_parameters(), self.grid, meta=c.meta,
            lr=c.lr, weight_decay=c.weight_decay, variant=c.meta_variant,
        )

    def _effective(self) -> dict[str, torch.Tensor]:
        return {name: self.store.weights(name) for name in self.model.layer_names}

    def _epoch(
        self,
        task_index: int,
        task: TaskData,
        epoch: int,
        optimizer: MetaplasticAdam,
        scheduler: LRScheduler,
        result: TrainResult,
        on_batch: Callable[[str, int], None] | None,
    ) -> EpochRecord:
        start = time.perf_counter()
        images = torch.as_tensor(task.train_images)
        labels = torch.as_tensor(task.train_labels).long()
        order = torch.randperm(len(labels), generator=self.generator)
        batches = order.split(self.config.batch_size)
        changes = writes = pulses = failures = 0
        per_layer = {name: [0, 0, 0] for name in self.model.hidden}
        self.model.train()
        for batch in batches:
            loss = F.cross_entropy(self.model(to_float(images[batch]), self._effective()),
                                   labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            for name, hidden in self.model.hidden.items():
                new = self.grid.index(hidden)
                if torch.equal(new, self.levels[name]):
                    continue
                changes += int((new != self.levels[name]).sum())
                self.levels[name] = new
                stats = self.store.program(name, new)
                np.add.at(result.write_counts[name].reshape(-1), stats.indices.numpy(), 1)
                writes += stats.writes
                pulses += stats.pulses
                failures += stats.failures
                for k, value in enumerate((stats.writes, stats.pulses, stats.failures)):
                    per_layer[name][k] += value
            if on_batch is not None:
                on_batch(task.name, len(batches))
            if self.stop.is_set():
                raise TrainingStopped(task.name, epoch)
        self.store.refresh()
        accuracy = [self.evaluate(j) for j in range(len(self.data))]
        return EpochRecord(
            task=task.name, epoch=epoch, accuracy=accuracy, level_changes=changes,
            writes=writes, pulses=pulses, failures=failures,
            seconds=time.perf_counter() - start,
            layers={name: LayerEpoch(*counts, self.store.readback_error(name))
                    for name, counts in per_layer.items()},
        )

    @torch.no_grad()
    def evaluate(self, task_index: int) -> float:
        """Test accuracy on one task, with that task's saved BatchNorm in the "task" scenario."""
        saved = self.task_bn.get(task_index)
        current = self.model.bn_state() if saved is not None else None
        if saved is not None:
            self.model.load_bn_state(saved)
        images, labels = self.test[task_index]
        effective = self._effective()
        correct = 0
        for x, y in zip(images.split(self.config.eval_batch_size),
                        labels.split(self.config.eval_batch_size), strict=True):
            correct += int((self.model(x, effective).argmax(1) == y).sum())
        if current is not None:
            self.model.load_bn_state(current)
        return correct / len(labels)


def train(
    config: TrainConfig,
    data: Sequence[TaskData],
    store: WeightStore,
    on_batch: Callable[[str, int], None] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> TrainResult:
    """Run the protocol of ``config`` on ``data`` (one TaskData per task, in order)."""
    return Trainer(config, data, store).run(on_batch, on_epoch)
