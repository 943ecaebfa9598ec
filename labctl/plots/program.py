"""Figures of a programming run: conductance distribution per level, pulses per cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.program import plan_from_levels


def plot_program(archive: Archive, out: Path) -> Path:
    """Write a PNG of the read-back conductance per level and the pulses-per-cell histogram."""
    plan = plan_from_levels(archive.table("levels"))
    verify = archive.table("verify")
    writes = archive.table("writes")
    delays = np.unique(verify["delay"])
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    axes = fig.subplots(1, 2)
    ax = axes[0]
    bins = np.linspace(0, plan.g_max * 1.25e6, 300)
    colours = colormaps["viridis"](np.linspace(0, 0.9, plan.n_levels))
    for delay, style in zip(delays, ("-", "--", ":"), strict=False):
        v = verify[verify["delay"] == delay]
        for lv in range(plan.n_levels):
            g = v["g"][v["level"] == lv] * 1e6
            ax.hist(g, bins=bins, histtype="step", linestyle=style, color=colours[lv],
                    label=f"after {delay:g} s" if lv == 0 else None)
    for c in plan.centres:
        ax.axvspan((c - plan.tolerance) * 1e6, (c + plan.tolerance) * 1e6, color="0.9", zorder=0)
    ax.set_xlabel("read-back conductance (µS)")
    ax.set_ylabel("cells")
    ax.set_title(f"{plan.n_levels} levels, ±{plan.tolerance * 1e6:g} µS bands")
    ax.legend()
    ax = axes[1]
    top = int(writes["pulses"].max()) if len(writes) else 1
    ax.hist(writes["pulses"], bins=np.arange(0, top + 2) - 0.5, color="tab:blue")
    ax.set_xlabel("pulses per cell")
    ax.set_ylabel("cells")
    ok = writes["success"].mean() * 100 if len(writes) else 0.0
    ax.set_title(f"{len(writes)} writes, {ok:.2f} % in band")
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, seed {archive.seed}")
    fig.savefig(out, dpi=120)
    return out
