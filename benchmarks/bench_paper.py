"""The paper protocol on the full data: MNIST then Fashion-MNIST, every backend row in one table.

Run: ``LABCTL_DATASETS=../shared/datasets python benchmarks/bench_paper.py [--rows software,...]``.
Each row is a named TrainConfig override of the CLI defaults. Prints accuracy after both tasks,
forgetting, writes per device, memory, wall time, and the mock backend's time and accuracy
against the software backend's.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from labctl.datasets import DatasetFetcher
from labctl.learning import TrainConfig, TrainResult, make_weight_store, train

ROWS: dict[str, dict[str, object]] = {
    "software": {"backend": "software"},
    "mock": {"backend": "mock"},
    "software m*=0": {"backend": "software", "meta": 0.0},
}


def run_row(overrides: dict[str, object], fetcher: DatasetFetcher) -> TrainResult:
    """Train one row's configuration on the full data."""
    config = TrainConfig.build(**overrides)
    data = [fetcher.load(task) for task in config.tasks]
    store = make_weight_store(config)
    try:
        return train(config, data, store)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names")
    parser.add_argument("--limit", type=int, help="training samples per task (quick check)")
    parser.add_argument("--epochs", type=int, help="epochs per task (default: the CLI's)")
    args = parser.parse_args()
    common = {k: v for k, v in (("limit", args.limit), ("epochs", args.epochs)) if v}
    fetcher = DatasetFetcher()
    table = Table(title="Paper protocol: test accuracy (%) after MNIST then Fashion-MNIST")
    for column in ("row", "MNIST after MNIST", "MNIST after both", "F-MNIST after both",
                   "level changes/epoch", "writes/device max", "mean", "memory ratio", "wall s"):
        table.add_column(column, justify="right")
    walls: dict[str, float] = {}
    finals: dict[str, list[float]] = {}
    for name in args.rows.split(","):
        start = time.perf_counter()
        result = run_row({**ROWS[name], **common}, fetcher)
        walls[name] = time.perf_counter() - start
        finals[name] = list(100 * result.after_task[-1])
        counts = result.all_write_counts()
        after = 100 * result.after_task
        table.add_row(
            name, f"{after[0, 0]:.2f}", f"{after[-1, 0]:.2f}", f"{after[-1, 1]:.2f}",
            " ".join(str(n) for n in result.level_changes), str(counts.max()),
            f"{counts.mean():.2f}", f"{result.memory['ratio_vs_reference']:.1f}x",
            f"{walls[name]:.0f}",
        )
    console = Console(width=200)
    console.print(table)
    if "software" in walls and "mock" in walls:
        gap = max(abs(a - b) for a, b in zip(finals["mock"], finals["software"], strict=True))
        console.print(f"mock / software wall time: {walls['mock'] / walls['software']:.2f} "
                      f"(target <= 1.5); largest accuracy gap after both tasks: {gap:.2f} pp "
                      "(target <= 0.5)")


if __name__ == "__main__":
    main()
