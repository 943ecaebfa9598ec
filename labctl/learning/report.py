"""Write a run to a plain HDF5 file and draw its figures (accuracy vs epoch, writes histogram).

Archive writing is this one function so it can be swapped for the official archive schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from labctl import __version__
from labctl.learning.trainer import TrainResult


def write_run_h5(path: Path, result: TrainResult) -> None:
    """Store config, per-epoch accuracies and write statistics, memory and times in ``path``."""
    c = result.config
    with h5py.File(path, "w") as f:
        f.attrs["labctl_version"] = __version__
        f.attrs["kind"] = "train"
        f.attrs["backend"] = c.backend
        f.attrs["config_json"] = c.model_dump_json()
        f.attrs["tasks"] = json.dumps(c.tasks)
        f.attrs["bn_scenario"] = c.bn_scenario
        f.attrs["seed"] = c.seed
        f.attrs["wall_seconds"] = result.wall_seconds
        f.attrs["bench_seconds"] = result.bench_seconds
        f.attrs["initial_writes"] = result.initial_writes
        f.attrs["initial_pulses"] = result.initial_pulses
        epochs = f.create_group("epochs")
        epochs["accuracy"] = result.accuracy
        epochs["accuracy"].attrs["axes"] = json.dumps(["epoch", "task"])
        epochs["task"] = np.array([e.task for e in result.epochs], dtype=h5py.string_dtype())
        for key in ("level_changes", "writes", "pulses", "failures", "seconds"):
            epochs[key] = np.array([getattr(e, key) for e in result.epochs])
        f["after_task"] = result.after_task
        f["after_task"].attrs["axes"] = json.dumps(["after task", "task"])
        writes = f.create_group("write_counts")
        for layer, counts in result.write_counts.items():
            writes.create_dataset(layer, data=counts, compression="gzip")
        everything = result.all_write_counts()
        writes.attrs["max"] = int(everything.max()) if everything.size else 0
        writes.attrs["mean"] = float(everything.mean()) if everything.size else 0.0
        memory = f.create_group("memory")
        for key, value in result.memory.items():
            memory.attrs[key] = value


def plot_run(path: Path, result: TrainResult) -> list[Path]:
    """Draw accuracy vs epoch for every task and the writes-per-device histogram (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stem = Path(path).with_suffix("")
    accuracy_png = stem.parent / f"{stem.name}_accuracy.png"
    writes_png = stem.parent / f"{stem.name}_writes.png"
    c = result.config
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(result.epochs) + 1)
    for j, task in enumerate(c.tasks):
        ax.plot(epochs, 100 * result.accuracy[:, j], marker="o", label=task)
    for boundary in range(c.epochs, len(epochs), c.epochs):
        ax.axvline(boundary + 0.5, color="grey", linestyle=":")
    ax.set(xlabel="epoch", ylabel="test accuracy (%)",
           title=f"{c.backend}, N={c.levels}, m*={c.meta}, BN: {c.bn_scenario}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(accuracy_png, dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    counts = result.all_write_counts()
    ax.hist(counts, bins=np.arange(counts.max() + 2) - 0.5 if counts.size else 10, log=True)
    ax.set(xlabel="writes per device during training", ylabel="devices",
           title=f"max {counts.max()}, mean {counts.mean():.2f}")
    fig.tight_layout()
    fig.savefig(writes_png, dpi=120)
    plt.close(fig)
    return [accuracy_png, writes_png]
