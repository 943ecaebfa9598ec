"""Key figures of a training run, recomputed from its archive tables (for unfinished runs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.archive import Archive, ArchiveError


def accuracy_matrix(archive: Archive) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Tasks, the (epochs, tasks) accuracy after every epoch, and the task of each epoch."""
    tasks = list(archive.config["tasks"])
    return (tasks, *_matrix(tasks, archive.table("accuracy")))


def _matrix(tasks: list[str], acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_epochs = len(acc) // max(len(tasks), 1)
    matrix = acc["accuracy"][: n_epochs * len(tasks)].reshape(n_epochs, len(tasks))
    trained = acc["trained_task"][: n_epochs * len(tasks): len(tasks)]
    return matrix, trained


def train_summary(archive: Archive) -> dict[str, Any]:
    """The key figures of a run from whatever it archived (also of a run that was killed)."""
    figures = train_figures(archive.config, archive.table("accuracy"), archive.table("epochs"),
                            [archive.array(f"device_writes/{n}")
                             for n in archive.names("device_writes")])
    try:
        rows = archive.table("layer_epochs")
    except ArchiveError:  # written before per-layer figures were archived
        return figures
    if rows.size:
        figures["layers"] = layer_figures(rows)
    return figures


def layer_figures(rows: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per layer over the run: where it is, its writes, pulses and failed writes, and its
    level read-back error after the last epoch."""
    out = {}
    for layer in np.unique(rows["layer"]).tolist():
        mine = rows[rows["layer"] == layer]
        out[f"fc{layer}"] = {"on": ("chip", "twin", "software")[int(mine["on"][-1])],
                             "writes": int(mine["writes"].sum()),
                             "pulses": int(mine["pulses"].sum()),
                             "failed_writes": int(mine["failed_writes"].sum()),
                             "readback_error": float(mine["readback_error"][-1])}
    return out


def train_figures(config: dict[str, Any], accuracy: np.ndarray, epochs: np.ndarray,
                  device_writes: list[np.ndarray]) -> dict[str, Any]:
    """Accuracy matrix, level changes, writes and chip statistics from a run's tables."""
    tasks = list(config["tasks"])
    matrix, trained = _matrix(tasks, accuracy)
    per_task = int(config["epochs"])
    counts = np.concatenate([c.ravel() for c in device_writes])
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


def evaluation_rows(archive: Archive) -> np.ndarray | None:
    """The run's ``evaluation`` table, or None before any ``labctl evaluate``."""
    try:
        rows = archive.table("evaluation")
    except ArchiveError:
        return None
    return rows if rows.size else None


def evaluation_figures(rows: np.ndarray, tasks: list[str], final: dict[str, float]
                       ) -> list[dict[str, Any]]:
    """One entry per read-back, in the order taken: when, every task's accuracy and its loss
    against the accuracy the run ended with (percentage points), the level read-back error,
    and for a refresh what it cost."""
    points = []
    keys = np.stack([rows["session"], rows["after"], rows["refreshed"]], axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)
    for start in np.sort(first):
        key = keys[start]
        mine = rows[(keys == key).all(axis=1)]
        accuracy = {tasks[t]: float(a) for t, a in zip(mine["task"], mine["accuracy"],
                                                        strict=True)}
        points.append({
            "session": int(key[0]), "after": float(key[1]), "refreshed": bool(key[2]),
            "elapsed": float(mine["elapsed"][0]), "accuracy": accuracy,
            "loss_pp": {t: 100 * (final[t] - a) for t, a in accuracy.items() if t in final},
            "readback_error": float(mine["readback_error"][0]),
            "writes": int(mine["writes"][0]), "pulses": int(mine["pulses"][0]),
            "failed_writes": int(mine["failed_writes"][0]),
            "bench_time": float(mine["bench_time"][0])})
    return points
