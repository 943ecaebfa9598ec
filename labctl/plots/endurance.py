"""Figures of an endurance run: the window against cycles, and the cycles-to-failure CDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.endurance import lifetimes, point_windows, weibull_fit


def plot_endurance(archive: Archive, out: Path) -> Path:
    """Write a PNG: every cell's window G_LRS - G_HRS (the best of its probed cycles at each
    read point) against cycles (log axis) with the
    median and the failure threshold, and the cycles-to-failure distribution (failures at
    the geometric middle of their read interval) against the fitted Weibull CDF."""
    table = archive.table("endurance")
    min_window = float(archive.config["min_window"])
    fig = Figure(figsize=(14, 5.5), layout="constrained")
    trend, cdf = fig.subplots(1, 2)
    best = point_windows(table)
    for cell in np.unique(best["cell"]):
        mine = best[best["cell"] == cell]
        trend.plot(mine["cycle"], mine["window"] * 1e6, color="0.6", lw=0.5, alpha=0.5)
    points = np.unique(best["point"])
    cycles = [best["cycle"][best["point"] == p].max() for p in points]
    median = [np.median(best["window"][best["point"] == p]) for p in points]
    trend.plot(cycles, np.array(median) * 1e6, color="C0", lw=2, label="median of cells cycling")
    trend.axhline(min_window * 1e6, color="C3", ls="--", label="failure threshold")
    trend.set(xscale="log", xlabel="cycles", ylabel="window G_LRS − G_HRS (µS)",
              title="best window of the probed cycles, per cell (grey)")
    trend.legend(fontsize="small")
    life = lifetimes(table, min_window)
    failed = life.has_failed & (life.last_good > 0)
    n = int(np.count_nonzero(life.last_good > 0))
    if np.any(failed):
        at = np.sort(np.sqrt(life.last_good[failed] * life.failed[failed].astype(float)))
        cdf.step(at, np.arange(1, at.size + 1) / n, where="post", color="C0",
                 label=f"cells failed ({at.size} of {n})")
    fit = weibull_fit(life)
    if fit is not None:
        top = max(float(table["cycle"].max()), fit["scale"]) * 3
        x = np.logspace(0, np.log10(top), 200)
        cdf.plot(x, 1 - np.exp(-(x / fit["scale"]) ** fit["shape"]), color="C1",
                 label=f"Weibull β={fit['shape']:.2f}, median {fit['median']:.3g} cycles")
    cdf.set(xscale="log", ylim=(0, 1), xlabel="cycles to failure",
            ylabel="fraction of cells failed", title="cycles-to-failure distribution")
    cdf.legend(fontsize="small")
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, {archive.status}")
    fig.savefig(out, dpi=110)
    return out
