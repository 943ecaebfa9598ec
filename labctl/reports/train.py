"""Key figures of a training run, recomputed from its archive tables (for unfinished runs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.archive import Archive


def accuracy_matrix(archive: Archive) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Tasks, the (epochs, tasks) accuracy after every epoch, and the task of each epoch."""
    tasks = list(archive.config["tasks"])
    acc = archive.table("accuracy")
    n_epochs = len(acc) // max(len(tasks), 1)
    matrix = acc["accuracy"][: n_epochs * len(tasks)].reshape(n_epochs, len(tasks))
    trained = acc["trained_task"][: n_epochs * len(tasks): len(tasks)]
    return tasks, matrix, trained


def train_summary(archive: Archive) -> dict[str, Any]:
    """The figures ``summarise`` stores at the end of a run, from whatever the run archived."""
    tasks, matrix, trained = accuracy_matrix(archive)
    per_task = int(archive.config["epochs"])
    epochs = archive.table("epochs")
    counts = np.concatenate([archive.array(f"device_writes/{n}").ravel()
                             for n in archive.names("device_writes")])
    after = {tasks[t]: dict(zip(tasks, map(float, matrix[(t + 1) * per_task - 1]), strict=True))
             for t in range(len(matrix) // per_task)}
    return {
        "tasks": tasks,
        "epochs_per_task": per_task,
        "epochs_completed": len(matrix),
        "accuracy_after_task": after,
        "final_accuracy": dict(zip(tasks, map(float, matrix[-1]), strict=True))
        if len(matrix) else {},
        "level_changes_per_epoch": [int(n) for n in epochs["level_changes"]],
        "writes_per_device_max": int(counts.max()) if counts.size else 0,
        "writes_per_device_mean": float(counts.mean()) if counts.size else 0.0,
        "failed_writes": int(epochs["failed_writes"].sum()),
        "pulses": int(epochs["pulses"].sum()),
        "link_retries": int(epochs["link_retries"].sum()),
        "bench_time": float(epochs["bench_time"][-1]) if len(epochs) else 0.0,
        "wall_time": float(epochs["wall_time"].sum()),
        "trained_task_of_epoch": [tasks[t] for t in trained],
    }
