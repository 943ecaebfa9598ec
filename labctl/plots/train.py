"""Figures of a training run: accuracy on every task after every epoch, writes per device,
and once ``labctl evaluate`` has run, accuracy against the time after training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from labctl.archive import Archive
from labctl.reports.train import accuracy_matrix, evaluation_rows


def plot_train(archive: Archive, out: Path) -> Path:
    """Write a PNG: accuracy vs epoch for every task, and the writes-per-device histogram."""
    tasks, matrix, trained = accuracy_matrix(archive)
    per_task = int(archive.config["epochs"])
    evaluation = evaluation_rows(archive)
    panels = 2 if evaluation is None else 3
    fig = Figure(figsize=(6 * panels, 4.5), layout="constrained")
    ax, hist, *later = fig.subplots(1, panels)
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
    if evaluation is not None:
        _plot_relaxation(later[0], evaluation, tasks, matrix[-1] if len(matrix) else None)
    fig.suptitle(f"{archive.path.name}: seed {archive.seed}, {archive.status}")
    fig.savefig(out, dpi=120)
    return out


def _plot_relaxation(ax: Axes, rows: np.ndarray, tasks: list[str],
                     final: np.ndarray | None) -> None:
    """Every task's accuracy change since the end of training against the time the weights
    were left unwritten (log scale, 0 drawn at 1 s), as read back and after each refresh, of
    the last ``labctl evaluate`` session."""
    rows = rows[rows["session"] == rows["session"].max()]
    for j, task in enumerate(tasks):
        for refreshed, style in ((0, "o-"), (1, "s--")):
            mine = rows[(rows["task"] == j) & (rows["refreshed"] == refreshed)]
            if mine.size:
                change = 100 * (mine["accuracy"] - (final[j] if final is not None else 0.0))
                ax.plot(np.maximum(mine["elapsed"], 1.0), change, style, color=f"C{j}",
                        label=f"{task}, {'refreshed' if refreshed else 'as read'}")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set(xscale="log", xlabel="time after training, weights unwritten (s; 0 drawn at 1 s)",
           ylabel="test accuracy change since the end of training (pp)",
           title="relaxation of the programmed weights")
    ax.legend(fontsize="small")
