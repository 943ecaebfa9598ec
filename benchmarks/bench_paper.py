"""The paper protocol on the full data: MNIST then Fashion-MNIST, every backend row in one table.

Run: ``LABCTL_DATASETS=../shared/datasets python benchmarks/bench_paper.py [--rows software,...]``.
Each row is a named TrainConfig override of the CLI defaults; add rows (e.g. the mock backend)
to ROWS. Prints accuracy after both tasks, forgetting, writes per device, memory and wall time.
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
    "software m*=0": {"backend": "software", "meta": 0.0},
}


def run_row(overrides: dict[str, object], fetcher: DatasetFetcher) -> TrainResult:
    """Train one row's configuration on the full data."""
    config = TrainConfig.build(**overrides)
    data = [fetcher.load(task) for task in config.tasks]
    return train(config, data, make_weight_store(config))


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
    for name in args.rows.split(","):
        start = time.perf_counter()
        result = run_row({**ROWS[name], **common}, fetcher)
        counts = result.all_write_counts()
        after = 100 * result.after_task
        table.add_row(
            name, f"{after[0, 0]:.2f}", f"{after[-1, 0]:.2f}", f"{after[-1, 1]:.2f}",
            " ".join(str(n) for n in result.level_changes), str(counts.max()),
            f"{counts.mean():.2f}", f"{result.memory['ratio_vs_reference']:.1f}x",
            f"{time.perf_counter() - start:.0f}",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
