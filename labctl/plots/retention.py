"""Figures of a retention run: conductance against log time per level, and histograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.program import plan_from_levels

SNAPSHOTS = 3
"""Read-backs drawn as histograms: the first, the middle and the last."""


def plot_retention(archive: Archive, out: Path) -> Path:
    """Write a PNG: each level's mean conductance against time after programming (log axis)
    with ±1 σ shaded, and the histograms of every cell's conductance at a few read-backs."""
    table = archive.table("retention")
    plan = plan_from_levels(archive.table("levels"))
    fig = Figure(figsize=(14, 5.5), layout="constrained")
    trend, hist = fig.subplots(1, 2)
    colours = colormaps["viridis"](np.linspace(0, 0.9, plan.n_levels))
    reads = np.unique(table["read"])
    times = np.array([table["time"][table["read"] == r].mean() for r in reads])
    for level, colour in zip(range(plan.n_levels), colours, strict=True):
        mine = table[table["level"] == level]
        if not mine.size:
            continue
        mean = np.array([mine["g"][mine["read"] == r].mean() for r in reads]) * 1e6
        sigma = np.array([mine["g"][mine["read"] == r].std() for r in reads]) * 1e6
        trend.plot(times, mean, color=colour, label=f"level {level}")
        trend.fill_between(times, mean - sigma, mean + sigma, color=colour, alpha=0.25)
    trend.set(xscale="log", xlabel="time after programming (s)", ylabel="conductance (µS)",
              title="mean ± σ per level")
    if reads.size:
        trend.legend(fontsize="small", ncols=2)
    bins = np.linspace(0, max(plan.g_max * 1.2, float(table["g"].max(initial=0))) * 1e6, 150)
    picks = sorted({0, reads.size // 2, reads.size - 1}) if reads.size else []
    for k, style in zip(picks[:SNAPSHOTS], ("-", "--", ":"), strict=False):
        g = table["g"][table["read"] == reads[k]] * 1e6
        hist.hist(g, bins=bins, histtype="step", linestyle=style, lw=1.2,
                  label=f"t = {times[k]:.3g} s")
    for centre in plan.centres * 1e6:
        hist.axvline(centre, color="0.7", lw=0.6)
    hist.set(xlabel="conductance (µS)", ylabel="cells", title="level histograms (grey: targets)")
    if picks:
        hist.legend(fontsize="small")
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, {archive.status}")
    fig.savefig(out, dpi=110)
    return out
