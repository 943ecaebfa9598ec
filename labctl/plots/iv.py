"""Figures of an I-V run: butterflies of the cells and the switching distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from labctl.archive import Archive
from protocols.iv import Branch

MAX_CELLS = 16
"""Cells drawn as butterflies (the first ones swept); the distributions use every cell."""
_COLOURS = {Branch.FORM: "tab:green", Branch.SET: "tab:blue", Branch.RESET: "tab:red"}


def plot_iv(archive: Archive, out: Path) -> Path:
    """Write a PNG: |I| (log) against V for every branch of the first cells, then the
    histograms of V_form, V_set, |V_reset| and of R_on, R_off over cells and cycles."""
    points, switching = archive.table("points"), archive.table("switching")
    cells = list(dict.fromkeys(points["cell"].tolist()))[:MAX_CELLS]
    fig = Figure(figsize=(14, 12), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.2, 1])
    side = max(int(np.ceil(np.sqrt(max(len(cells), 1)))), 1)
    axes = np.atleast_1d(top.subplots(side, side, sharex=True, sharey=True)).ravel()
    for ax, cell in zip(axes, cells, strict=False):
        mine = points[points["cell"] == cell]
        for branch in Branch:
            for cycle in np.unique(mine["cycle"][mine["branch"] == branch]):
                sweep = mine[(mine["branch"] == branch) & (mine["cycle"] == cycle)]
                ax.plot(sweep["v"], np.maximum(np.abs(sweep["i"]), 1e-12), lw=0.8,
                        color=_COLOURS[branch], alpha=0.8,
                        label=branch.name.lower() if cycle == mine["cycle"].max() or
                        branch is Branch.FORM else None)
        row, col = int(mine["row"][0]), int(mine["col"][0])
        ax.set(yscale="log", title=f"cell {row}:{col}", xlabel="V (V)", ylabel="|I| (A)")
        ax.label_outer()
    for ax in axes[len(cells):]:
        ax.set_visible(False)
    if cells:
        axes[0].legend(loc="lower right", fontsize="small")
    top.suptitle(f"I-V butterflies, {len(cells)} of {len(np.unique(points['cell']))} cells")
    volts, ohms = bottom.subplots(1, 2)
    for branch, label in ((Branch.FORM, "V_form"), (Branch.SET, "V_set"),
                          (Branch.RESET, "|V_reset|")):
        v = switching["v_switch"][switching["branch"] == branch]
        v = v[np.isfinite(v)]
        if v.size:
            volts.hist(v, bins=30, alpha=0.6, color=_COLOURS[branch],
                       label=f"{label} (median {np.median(v):.2f} V)")
    volts.set(xlabel="switching voltage (V)", ylabel="branches", title="switching voltages")
    for branch, label in ((Branch.RESET, "R_on"), (Branch.SET, "R_off")):
        r = switching["r_before"][switching["branch"] == branch]
        r = r[np.isfinite(r) & (r > 0)]
        if r.size:
            ohms.hist(r, bins=np.geomspace(r.min(), r.max() * 1.001 + 1e-30, 30), alpha=0.6,
                      color=_COLOURS[branch], label=f"{label} (median {np.median(r):.3g} Ω)")
    ohms.set(xscale="log", xlabel="resistance at the read voltage (Ω)", ylabel="cycles",
             title="R_on and R_off")
    for ax in (volts, ohms):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, {archive.status}")
    fig.savefig(out, dpi=100)
    return out
