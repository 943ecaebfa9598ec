"""Figures of a training run: accuracy on every task after every epoch, writes per device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from labctl.archive import Archive
from labctl.reports.train import accuracy_matrix


def plot_train(archive: Archive, out: Path) -> Path:
    """Write a PNG: accuracy vs epoch for every task, and the writes-per-device histogram."""
    tasks, matrix, trained = accuracy_matrix(archive)
    per_task = int(archive.config["epochs"])
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    ax, hist = fig.subplots(1, 2)
    epochs = np.arange(1, len(matrix) + 1)
    for j, task in enumerate(tasks):
        ax.plot(epochs, 100 * matrix[:, j], marker="o", label=f"test accuracy on {task}")
    for t in range(-(-len(matrix) // per_task)):
        start = t * per_task + 0.5
        ax.axvspan(start, start + per_task, color=("0.96", "0.9")[t % 2], zorder=0)
        ax.text(start + per_task / 2, 2, f"training on {tasks[trained[t * per_task]]}",
                ha="center", va="bottom", fontsize="small", color="0.3")
    c = archive.config
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="epoch (over all tasks)", ylabel="test accuracy (%)", ylim=(0, 100),
           xlim=(0.5, max(len(tasks) * per_task, 1) + 0.5),
           title=f"{archive.backend}: N={c['levels']}, m*={c['meta']}, hidden {c['hidden']}")
    ax.legend(loc="center left")
    counts = np.concatenate([archive.array(f"device_writes/{n}").ravel()
                             for n in archive.names("device_writes")])
    top = int(counts.max()) if counts.size else 0
    hist.hist(counts, bins=np.arange(top + 2) - 0.5, log=True, color="tab:blue",
              label=f"{counts.size} devices")
    hist.xaxis.set_major_locator(MaxNLocator(integer=True))
    hist.set(xlabel="level writes per device (differential pair) during training",
             ylabel="devices", title=f"max {top}, mean {counts.mean() if counts.size else 0:.2f}")
    hist.legend()
    fig.suptitle(f"{archive.path.name}: seed {archive.seed}, {archive.status}")
    fig.savefig(out, dpi=120)
    return out
