"""Figures of a read: the region's conductance map and its histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from labctl.archive import Archive


def plot_read(archive: Archive, out: Path) -> Path:
    """Write a PNG: the conductance heat map of the tile read (blank outside the region) and
    the histogram of the cells' conductance."""
    reads = archive.table("reads")
    fig = Figure(figsize=(12, 5), layout="constrained")
    space, hist = fig.subplots(1, 2)
    tiles = archive.maps()
    if tiles:
        tile = tiles[0]
        image = space.imshow(archive.conductance_map(tile) * 1e6, cmap="viridis",
                             origin="upper", interpolation="nearest")
        fig.colorbar(image, ax=space, label="conductance (µS)")
        space.set(xlabel="column (bit line)", ylabel="row (word line)",
                  title=f"tile {tile} (blank: not read)")
    g = reads["g"] * 1e6
    if g.size:
        hist.hist(g, bins=np.linspace(min(float(g.min()), 0.0), max(float(g.max()), 1e-3), 120),
                  color="tab:blue")
    hist.set(xlabel="conductance (µS)", ylabel="cells", yscale="log",
             title=f"{g.size} cells, median {np.median(g):.2f} µS" if g.size else "no cells read")
    fig.suptitle(f"{archive.path.name}: backend {archive.backend}, {archive.status}")
    fig.savefig(out, dpi=110)
    return out
