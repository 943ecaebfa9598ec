"""A small sweep: the metaplastic rule (m* = 4.5) against its control (m* = 0) over seeds, run
as tasks on a Dask LocalCluster, then analysed as one xarray Dataset.

Run it again and it continues: complete runs are kept, killed ones resume.

    python examples/sweep_seeds.py [--seeds 2] [--limit 1000] [--out runs/sweep-seeds]
"""

from __future__ import annotations

import argparse

import labctl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--out", default="runs/sweep-seeds")
    args = parser.parse_args()
    report = labctl.run_sweep({"command": "train",
                               "options": {"hidden": [32], "epochs": 1, "limit": args.limit},
                               "grid": {"seed": list(range(args.seeds)), "meta": [0.0, 4.5]}},
                              args.out, workers=2)
    print(f"{report.complete} of {report.runs} runs complete in {report.directory}")
    ds = report.dataset()
    kept = ds.accuracy.sel(after="fashion-mnist", task="mnist")
    for meta in ds.meta.values:
        over = kept.sel(meta=meta)
        print(f"m* = {meta:g}: MNIST after Fashion-MNIST {100 * float(over.mean()):.1f} % "
              f"± {100 * float(over.std(ddof=1)):.1f} over {over.sizes['seed']} seeds")


if __name__ == "__main__":
    main()
