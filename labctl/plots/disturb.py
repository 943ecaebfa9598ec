"""Figures of a disturb run: conductance change against stress, stressed cells against the
unstressed controls, per level; and the fraction of cells that left their band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.disturb import disturb_summary
from labctl.reports.program import plan_from_levels

UNITS = {"reads": "reads of each stressed cell", "dc": "seconds of DC bias"}


def plot_disturb(archive: Archive, out: Path) -> Path:
    """Write a PNG: each level's mean change of G since before the stress against the stress
    (log axis), stressed cells solid and controls dashed; and the fraction of each group
    that moved by more than a band's half-width."""
    table = archive.table("disturb")
    levels = archive.table("levels")
    plan = plan_from_levels(levels)
    stress = str(archive.config["stress"])
    fig = Figure(figsize=(14, 5.5), layout="constrained")
    drift, moved = fig.subplots(1, 2)
    start = {int(c): g for c, g in zip(table["cell"][table["point"] == 0],
                                       table["g"][table["point"] == 0], strict=True)}
    later = table[table["point"] > 0]
    change = later["g"] - np.array([start[int(c)] for c in later["cell"]])
    amounts = np.unique(later["stress"])
    colours = colormaps["viridis"](np.linspace(0, 0.9, plan.n_levels))
    for level, colour in zip(range(plan.n_levels), colours, strict=True):
        for group, style in ((True, "-"), (False, "--")):
            mine = (later["level"] == level) & (later["stressed"] == group)
            if not mine.any():
                continue
            mean = [change[mine & (later["stress"] == a)].mean() * 1e6 for a in amounts]
            drift.plot(amounts, mean, style, color=colour,
                       label=f"level {level}" if group else None)
    drift.plot([], [], "k-", label="stressed")
    drift.plot([], [], "k--", label="control")
    drift.set(xscale="log", xlabel=f"stress ({UNITS.get(stress, stress)})",
              ylabel="mean change of G since before the stress (µS)",
              title="drift per level: stressed against controls")
    drift.legend(fontsize="small", ncols=2)
    summary = disturb_summary(levels, table, stress)["read_backs"][1:]
    x = [p["stress"] for p in summary]
    for key, style, label in (("moved_stressed", "-o", "stressed"),
                              ("moved_control", "--s", "control")):
        moved.plot(x, [100 * (p[key] or 0.0) for p in summary], style, label=label)
    moved.set(xscale="log", xlabel=f"stress ({UNITS.get(stress, stress)})",
              ylabel=f"cells moved by more than ±{plan.tolerance * 1e6:g} µS (%)",
              title="cells that left their band")
    moved.legend(fontsize="small")
    fig.suptitle(f"{archive.path.name}: {stress} stress at {archive.config['v_stress']} V, "
                 f"backend {archive.backend}, {archive.status}")
    fig.savefig(out, dpi=110)
    return out
