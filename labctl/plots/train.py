"""Figures of a training run: accuracy on every task after every epoch, writes per device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.train import accuracy_matrix


def plot_train(archive: Archive, out: Path) -> Path:
    """Write a PNG: accuracy vs epoch for every task, and the writes-per-device histogram."""
    tasks, matrix, _ = accuracy_matrix(archive)
    per_task = int(archive.config["epochs"])
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    ax, hist = fig.subplots(1, 2)
    epochs = np.arange(1, len(matrix) + 1)
    for j, task in enumerate(tasks):
        ax.plot(epochs, 100 * matrix[:, j], marker="o", label=task)
    for boundary in range(per_task, len(matrix), per_task):
        ax.axvline(boundary + 0.5, color="0.6", linestyle=":")
    c = archive.config
    ax.set(xlabel="epoch", ylabel="test accuracy (%)", ylim=(0, 100),
           title=f"{archive.backend}: N={c['levels']}, m*={c['meta']}, hidden {c['hidden']}")
    ax.legend()
    counts = np.concatenate([archive.array(f"device_writes/{n}").ravel()
                             for n in archive.names("device_writes")])
    top = int(counts.max()) if counts.size else 0
    hist.hist(counts, bins=np.arange(top + 2) - 0.5, log=True, color="tab:blue")
    hist.set(xlabel="level writes per device (differential pair) during training",
             ylabel="devices", title=f"max {top}, mean {counts.mean():.2f}")
    fig.suptitle(f"{archive.path.name}: seed {archive.seed}, {archive.status}")
    fig.savefig(out, dpi=120)
    return out
