"""Figures of a programming run: conductance per level (histograms and CDFs), the spatial
conductance map, and pulses per cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from labctl.archive import Archive
from labctl.reports.program import plan_from_levels
from protocols.levels import LevelPlan

_STYLES = ("-", "--", ":")


def plot_program(archive: Archive, out: Path) -> Path:
    """Write a PNG: read-back G per level (histogram and CDF), the map, pulses per cell."""
    levels, verify, writes = (archive.table(n) for n in ("levels", "verify", "writes"))
    fig = Figure(figsize=(13, 9), layout="constrained")
    (hist, cdf), (space, pulses) = fig.subplots(2, 2)
    if len(levels):
        plan = plan_from_levels(levels)
        colours = colormaps["viridis"](np.linspace(0, 0.9, plan.n_levels))
        _histograms(hist, plan, verify, colours)
        _cdfs(cdf, plan, verify, colours)
    else:
        for ax in (hist, cdf):
            ax.set_title("no level plan recorded (the run stopped first)")
    tiles = archive.maps()
    if tiles:
        _map(fig, space, archive.conductance_map(tiles[0]), tiles[0])
    _pulses(pulses, writes)
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, seed {archive.seed}, "
                 f"{archive.status}")
    fig.savefig(out, dpi=110)
    return out


def _histograms(ax: Axes, plan: LevelPlan, verify: np.ndarray, colours: np.ndarray) -> None:
    bins = np.linspace(0, plan.g_max * 1.25e6, 300)
    for delay, style in zip(np.unique(verify["delay"]), _STYLES, strict=False):
        v = verify[verify["delay"] == delay]
        for lv in range(plan.n_levels):
            ax.hist(v["g"][v["level"] == lv] * 1e6, bins=bins, histtype="step", linestyle=style,
                    color=colours[lv],
                    label=f"level {lv} ({plan.centres[lv] * 1e6:.1f} µS)" if delay == 0 else None)
        ax.plot([], [], linestyle=style, color="0.3", label=f"read {delay:g} s after")
    _bands(ax, plan)
    ax.set(xlabel="read-back conductance (µS)", ylabel="cells",
           title=f"{plan.n_levels} levels, ±{plan.tolerance * 1e6:g} µS bands (grey)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", ncols=2)


def _cdfs(ax: Axes, plan: LevelPlan, verify: np.ndarray, colours: np.ndarray) -> None:
    for delay, style in zip(np.unique(verify["delay"]), _STYLES, strict=False):
        v = verify[verify["delay"] == delay]
        for lv in range(plan.n_levels):
            g = np.sort(v["g"][v["level"] == lv]) * 1e6
            if g.size:
                ax.plot(g, np.arange(1, g.size + 1) / g.size, linestyle=style,
                        color=colours[lv], label=f"level {lv}" if delay == 0 else None)
        ax.plot([], [], linestyle=style, color="0.3", label=f"read {delay:g} s after")
    _bands(ax, plan)
    ax.set(xlabel="read-back conductance (µS)", ylabel="cumulative fraction of the level's cells",
           ylim=(0, 1), title="per-level CDF")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", ncols=2)


def _bands(ax: Axes, plan: LevelPlan) -> None:
    for c in plan.centres:
        ax.axvspan((c - plan.tolerance) * 1e6, (c + plan.tolerance) * 1e6, color="0.9", zorder=0)


def _map(fig: Figure, ax: Axes, g: np.ndarray, tile: int) -> None:
    image = ax.imshow(g * 1e6, cmap="viridis", origin="upper", interpolation="nearest")
    fig.colorbar(image, ax=ax, label="conductance (µS)")
    ax.set(xlabel="column (bit line)", ylabel="row (word line)",
           title=f"tile {tile}: read back after programming (blank: not programmed)")


def _pulses(ax: Axes, writes: np.ndarray) -> None:
    top = int(writes["pulses"].max()) if len(writes) else 1
    ax.hist(writes["pulses"], bins=np.arange(0, top + 2) - 0.5, color="tab:blue")
    ax.set(xlabel="pulses per cell", ylabel="cells")
    ok = writes["success"].mean() * 100 if len(writes) else 0.0
    ax.set_title(f"{len(writes)} writes, {ok:.2f} % in band")
