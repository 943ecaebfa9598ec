"""Analyse a programming archive with xarray: pulses and spread per level, the map as a PNG.

    python examples/analyse_archive.py runs/program-20261202-101500.h5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import labctl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    args = parser.parse_args()
    tree = labctl.open_archive(args.archive)
    config = json.loads(tree.attrs["config"])
    print(f"{args.archive}: {tree.attrs['kind']} run, {tree.attrs['status']}, "
          f"{config['levels']} levels")
    writes = tree["writes"].to_dataset()
    per_level = writes.groupby(writes["level"])
    pulses, g = per_level.mean()["pulses"], per_level.std()["g_final"]
    for level in pulses["level"].values:
        print(f"  level {level}: {float(pulses.sel(level=level)):.1f} pulses per cell, "
              f"spread {float(g.sel(level=level)) * 1e6:.2f} µS")
    conductance = tree["map_tile0"]["conductance"]
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    (conductance * 1e6).plot(ax=ax, cbar_kwargs={"label": "conductance (µS)"})
    ax.set(title=f"{args.archive.name}: tile 0", xlabel="column (bit line)",
           ylabel="row (word line)")
    ax.invert_yaxis()
    out = args.archive.with_name(f"{args.archive.stem}-map.png")
    fig.savefig(out, dpi=100)
    print(f"map: {out}")


if __name__ == "__main__":
    main()
