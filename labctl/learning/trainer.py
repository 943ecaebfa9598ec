"""Train the quantized MLP on tasks in sequence, programming only level changes to the store.

Hidden weights and optimizer live on the host. After each optimizer step the new levels are
computed and the layers whose levels changed are programmed; the forward pass always uses what
the store holds. Every task is evaluated after every epoch (the continual-learning matrix).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch.optim.lr_scheduler import LRScheduler

from labctl.datasets.loader import TaskData, to_float
from labctl.learning.config import TrainConfig
from labctl.learning.model import BnState, QuantizedMLP
from labctl.learning.optimizer import MetaplasticAdam
from labctl.learning.quantizer import LevelGrid
from labctl.learning.schedule import task_scheduler
from labctl.learning.store import WeightStore


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
        self.test = [(to_float(d.test_images), torch.as_tensor(d.test_labels).long())
                     for d in self.data]

    def run(
        self,
        on_batch: Callable[[str, int], None] | None = None,
        on_epoch: Callable[[EpochRecord], None] | None = None,
    ) -> TrainResult:
        """Train every task in turn; ``on_batch(task, batches_per_epoch)`` reports progress."""
        start = time.perf_counter()
        result = TrainResult(config=self.config)
        result.memory = self.config.memory.footprint(self.model.synapses)
        for name, hidden in self.model.hidden.items():
            self.levels[name] = self.grid.index(hidden)
            stats = self.store.program(name, self.levels[name])
            result.initial_writes += stats.writes
            result.initial_pulses += stats.pulses
            result.write_counts[name] = np.zeros(tuple(hidden.shape), dtype=np.int64)
        for task_index, task in enumerate(self.data):
            optimizer = self._fresh_optimizer()
            steps = self.config.epochs * -(-len(task.train_labels) // self.config.batch_size)
            scheduler = task_scheduler(optimizer, self.config.lr_schedule, steps)
            for epoch in range(self.config.epochs):
                record = self._epoch(task_index, task, epoch, optimizer, scheduler, result,
                                     on_batch)
                result.epochs.append(record)
                if on_epoch is not None:
                    on_epoch(record)
            if self.config.bn_scenario == "task":
                self.task_bn[task_index] = self.model.bn_state()
        result.wall_seconds = time.perf_counter() - start
        result.bench_seconds = self.store.bench_seconds()
        return result

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
            if on_batch is not None:
                on_batch(task.name, len(batches))
        self.store.refresh()
        accuracy = [self.evaluate(j) for j in range(len(self.data))]
        return EpochRecord(
            task=task.name, epoch=epoch, accuracy=accuracy, level_changes=changes,
            writes=writes, pulses=pulses, failures=failures,
            seconds=time.perf_counter() - start,
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
