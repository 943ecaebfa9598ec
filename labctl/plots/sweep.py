"""Figures of a sweep: every key figure against every swept option, with the spread over
seeds as error bars; of a training sweep also the continual-learning matrix of every grid
point and the level changes of every epoch (what the devices' endurance pays)."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from labctl.archive import Archive, ArchiveError
from labctl.reports.sweep import SweepRuns, figure_columns, is_fraction, sweep_runs
from labctl.sweep.spec import Factor, shown

MAX_SERIES = 6
"""Most lines per panel (one per combination of the other options); beyond, they pool."""
MAX_MATRICES = 12
"""Most grid points whose accuracy matrix is drawn."""


def plot_sweep(archive: Archive, out: Path) -> list[Path]:
    """Write one PNG per key figure into folder ``out`` (and ``cl_matrix.png`` for
    training sweeps); returns their paths."""
    runs = sweep_runs(archive)
    out.mkdir(parents=True, exist_ok=True)
    complete = np.array([s == "complete" for s in runs.status])
    written = []
    for name, values in figure_columns(runs).items():
        values = np.where(complete, values, np.nan)
        written.append(_figure_png(runs, name, values, out / f"{_slug(name)}.png"))
    if runs.accuracy is not None:
        written.append(_matrices_png(runs, complete, out / "cl_matrix.png"))
        curves = _level_changes(runs, complete, archive.path.parent)
        if curves:
            written.append(_level_changes_png(runs, curves, out / "level_changes_per_epoch.png"))
    return written


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _figure_png(runs: SweepRuns, name: str, values: np.ndarray, path: Path) -> Path:
    """One panel per factor of the grid (the seed's too when nothing else is swept): the
    figure along it, one line per combination of the other factors."""
    shown = runs.kept or list(range(len(runs.factors)))
    unit = "%" if is_fraction(name) else runs.units.get(name, "1")
    scale = 100.0 if is_fraction(name) else 1.0
    fig = Figure(figsize=(5.5 * len(shown), 4.2), layout="constrained")
    panels = np.atleast_1d(fig.subplots(1, len(shown)))
    for ax, f in zip(panels, shown, strict=True):
        factor = runs.factors[f]
        steps = [step[0] for step in factor.values]
        numeric = len(factor.names) == 1 and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in steps)
        where = np.array(steps, float) if numeric else np.arange(len(steps), dtype=float)
        others = [g for g in shown if g != f]
        combos = list(product(*(range(len(runs.factors[g])) for g in others)))
        if len(combos) > MAX_SERIES:
            others, combos = [], [()]
        for combo in combos:
            mean, std = [], []
            for step in range(len(factor)):
                chosen = np.all(runs.positions[:, [f, *others]] == (step, *combo), axis=1)
                done = values[chosen][~np.isnan(values[chosen])] * scale
                mean.append(done.mean() if done.size else np.nan)
                std.append(done.std(ddof=1) if done.size > 1 else 0.0)
            ax.errorbar(where, mean, yerr=std, marker="o", capsize=4,
                        label=", ".join(_step(runs.factors[g], s) for g, s
                                        in zip(others, combo, strict=True)) or "all runs")
        if not numeric:
            ax.set_xticks(where, [_step(factor, s, named=False) for s in range(len(factor))])
        ax.set(xlabel=" / ".join(factor.names),
               ylabel=f"{name} ({unit})" if unit != "1" else name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    pooled = runs.pooled is not None and runs.kept
    fig.suptitle(name + (" (mean ± std over seeds)" if pooled else ""))
    fig.savefig(path, dpi=110)
    return path


def _step(factor: Factor, step: int, named: bool = True) -> str:
    """How one step along a factor is labelled: ``meta=4.5, lr=0.01`` or ``4.5 / 0.01``."""
    values = factor.values[step]
    if named:
        return ", ".join(f"{n}={shown(v)}" for n, v in zip(factor.names, values, strict=True))
    return " / ".join(shown(v) for v in values)


def _matrices_png(runs: SweepRuns, complete: np.ndarray, path: Path) -> Path:
    assert runs.accuracy is not None
    groups = runs.groups()[:MAX_MATRICES]
    cols = min(len(groups), 4)
    rows = -(-len(groups) // cols)
    n = len(runs.tasks)
    fig = Figure(figsize=(3.2 * cols + 1.2, 3.0 * rows + 0.6), layout="constrained")
    panels = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    image = None
    for ax, (point, members) in zip(panels, groups, strict=False):
        chosen = [i for i in members if complete[i]]
        matrix = (np.nanmean(runs.accuracy[chosen], axis=0) * 100 if chosen
                  else np.full((n, n), np.nan))
        image = ax.imshow(matrix, vmin=0, vmax=100, cmap="viridis")
        for (a, t), value in np.ndenumerate(matrix):
            if not np.isnan(value):
                ax.text(t, a, f"{value:.1f}", ha="center", va="center", fontsize="small",
                        color="white" if value < 60 else "black")
        ax.set_xticks(range(n), runs.tasks, rotation=30, ha="right")
        ax.set_yticks(range(n), runs.tasks)
        ax.set(xlabel="accuracy on task", ylabel="after training on",
               title=", ".join(f"{k}={shown(v)}" for k, v in point.items()) or "all runs")
        ax.title.set_fontsize("small")
    for ax in panels[len(groups):]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=list(panels[:len(groups)]), label="test accuracy (%), mean over "
                     "seeds")
    fig.suptitle("accuracy on task i after training on task j")
    fig.savefig(path, dpi=110)
    return path


def _level_changes(runs: SweepRuns, complete: np.ndarray, folder: Path
                   ) -> list[tuple[dict[str, Any], np.ndarray, int]]:
    """Per grid point: its complete runs' level changes per epoch (run, epoch), read from
    their archives, and the epochs per task; points without a readable archive left out."""
    found = []
    for point, members in runs.groups()[:MAX_SERIES * 2]:
        curves, per_task = [], 0
        for i in (i for i in members if complete[i]):
            try:
                with Archive(folder / runs.archives[i]) as run:
                    curves.append(run.table("epochs")["level_changes"].astype(float))
                    per_task = int(run.config["epochs"])
            except (ArchiveError, OSError):  # the run's archive is not beside the index
                continue
        if curves and len({c.size for c in curves}) == 1:
            found.append((point, np.array(curves), per_task))
    return found


def _level_changes_png(runs: SweepRuns, curves: list[tuple[dict[str, Any], np.ndarray, int]],
                       path: Path) -> Path:
    """Level changes (weights written) per epoch over the whole protocol, one line per grid
    point: the mean over its seeds, the band their range."""
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for j, (point, stacked, _) in enumerate(curves):
        epochs = np.arange(1, stacked.shape[1] + 1)
        label = ", ".join(f"{k}={shown(v)}" for k, v in point.items()) or "all runs"
        ax.plot(epochs, stacked.mean(axis=0), marker="o", color=f"C{j}",
                label=f"{label} ({len(stacked)} seeds)")
        ax.fill_between(epochs, stacked.min(axis=0), stacked.max(axis=0), color=f"C{j}",
                        alpha=0.2)
    per_task = {epochs for _, _, epochs in curves}
    if len(per_task) == 1:
        epochs = per_task.pop()
        for boundary in range(epochs, epochs * len(runs.tasks), epochs):
            ax.axvline(boundary + 0.5, color="0.6", lw=0.8, ls="--")
    ax.set(yscale="log", xlabel="epoch (over all tasks; dashed: next task)",
           ylabel="level changes (weights written) per epoch",
           title="writes the protocol asks of the devices")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    return path
