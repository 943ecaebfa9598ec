"""Wall time of ``labctl train`` on the software and the mock backend, same protocol, one process.

Run: ``LABCTL_DATASETS=../shared/datasets python benchmarks/bench_train_backends.py``
(defaults: hidden 256, 1 epoch per task, the first 6000 samples of each task). Prints both
wall times and their ratio (target of issue 5: mock <= 1.5x software); the mock run's wall
over its own training time without the chip (the same ratio, free of the noise that other
jobs add between the two runs: torch threads slow down by large factors on shared cores);
where the mock run's chip time goes (setup = forming + gate calibration, initial programming,
write-verify of level changes, read-backs); and an estimate for the full default protocol:
the reduced run's write-verify calls are fitted as ``a + b * cells`` and scaled, with the full
run's level changes per epoch from ``--full-changes`` (default: those of a software run of
the default protocol, H=1600 and 5 epochs per task, during the learning-defaults sweep).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from labctl.backends import MOCK_TILE
from labctl.datasets import DatasetFetcher
from labctl.learning import TrainConfig, make_weight_store, train
from labctl.learning.chip_store import ChipStore, tiles_for

FULL_CHANGES = (1537609, 151383, 48151, 24725, 5486, 217671, 13167, 5029, 1696, 302)
"""Level changes per epoch of a software run of the default protocol (MNIST, Fashion-MNIST)."""
FULL_SAMPLES = 60_000


@dataclass
class ChipClock:
    """CPU time of every call the trainer makes into a ChipStore.

    The chip side is single-threaded numpy, so its CPU time is what its wall time would be on
    an idle machine; other jobs on shared cores inflate the wall time, not this.
    """

    setup: float = 0.0
    wall: float = 0.0
    """Wall seconds of all of it, setup included."""
    calls: list[tuple[int, float]] = field(default_factory=list)
    """(cells written, seconds) per program call, the initial programming first."""
    refreshes: list[float] = field(default_factory=list)

    def wrap(self, store: ChipStore) -> None:
        """Time ``store.program`` and ``store.refresh`` from now on."""
        program, refresh = store.program, store.refresh

        def timed_program(layer: str, levels: Any) -> Any:
            start, wall = time.process_time(), time.perf_counter()
            stats = program(layer, levels)
            self.calls.append((2 * stats.writes, time.process_time() - start))
            self.wall += time.perf_counter() - wall
            return stats

        def timed_refresh() -> None:
            start, wall = time.process_time(), time.perf_counter()
            refresh()
            self.refreshes.append(time.process_time() - start)
            self.wall += time.perf_counter() - wall

        store.program = timed_program  # type: ignore[method-assign]
        store.refresh = timed_refresh  # type: ignore[method-assign]


def run(config: TrainConfig, data: list, clock: ChipClock | None) -> float:
    """Wall seconds of store creation plus training."""
    start, cpu = time.perf_counter(), time.process_time()
    store = make_weight_store(config)
    if clock is not None:
        clock.setup = time.process_time() - cpu
        clock.wall = time.perf_counter() - start
        clock.wrap(store)
    try:
        train(config, data, store)
    finally:
        store.close()
    return time.perf_counter() - start


def tiles_of(config: TrainConfig) -> int:
    rows, cols = MOCK_TILE
    return sum(tiles_for((n_out, n_in), rows, cols) for n_in, n_out in pairwise(config.sizes))


def fit(calls: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (seconds per call, seconds per cell) of the write-verify calls."""
    cells, seconds = np.array(calls, dtype=float).T
    design = np.stack([np.ones_like(cells), cells], axis=1)
    (per_call, per_cell), *_ = np.linalg.lstsq(design, seconds, rcond=None)
    return max(per_call, 0.0), max(per_cell, 0.0)


def estimate_full(clock: ChipClock, reduced: TrainConfig, changes: list[int], layers: int,
                  show: Callable[[str], None]) -> float:
    """Chip seconds of the full default protocol, scaled from the reduced run."""
    full = TrainConfig.build()
    initial_cells, initial_s = (sum(c for c, _ in clock.calls[:layers]),
                                sum(s for _, s in clock.calls[:layers]))
    per_call, per_cell = fit(clock.calls[layers:])
    tiles, full_tiles = tiles_of(reduced), tiles_of(full)
    full_cells = 2 * sum(a * b for a, b in pairwise(full.sizes))
    steps = -(-FULL_SAMPLES // full.batch_size)
    calls = sum(min(steps, n) * layers for n in changes)
    setup = clock.setup * full_tiles / tiles
    initial = initial_s * full_cells / initial_cells
    writes = calls * per_call + 2 * sum(changes) * per_cell
    reads = np.mean(clock.refreshes) * full_tiles / tiles * len(changes)
    show(f"  fit per write-verify call: {per_call * 1e3:.2f} ms + {per_cell * 1e6:.2f} us/cell")
    show(f"  full protocol ({full_tiles} tiles, {len(changes)} epochs, {sum(changes)} level "
         f"changes, <= {calls} calls): setup {setup:.0f} s, initial programming "
         f"{initial:.0f} s ({full_cells} cells), writes {writes:.0f} s, read-backs {reads:.0f} s")
    return setup + initial + writes + reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=1, help="epochs per task")
    parser.add_argument("--limit", type=int, default=6000, help="training samples per task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full-changes", default=",".join(map(str, FULL_CHANGES)),
                        help="level changes per epoch of the full protocol, comma-separated")
    parser.add_argument("--software-full", type=float, default=180.0,
                        help="wall seconds of the full protocol on the software backend")
    args = parser.parse_args()
    common: dict[str, Any] = {"hidden": [args.hidden], "epochs": args.epochs,
                              "limit": args.limit, "seed": args.seed}
    software, mock = (TrainConfig.build(backend=b, **common) for b in ("software", "mock"))
    fetcher = DatasetFetcher()
    data = [fetcher.load(task) for task in software.tasks]
    print(f"reduced protocol: {', '.join(software.tasks)}; hidden {args.hidden}, "
          f"{args.epochs} epoch(s)/task, {args.limit} samples/task")
    soft_s = run(software, data, None)
    clock = ChipClock()
    mock_s = run(mock, data, clock)
    layers = len(software.sizes) - 1
    initial = clock.calls[:layers]
    writes = clock.calls[layers:]
    chip = clock.setup + sum(s for _, s in clock.calls) + sum(clock.refreshes)
    print(f"  software {soft_s:.1f} s, mock {mock_s:.1f} s: ratio {mock_s / soft_s:.2f}x")
    print(f"  mock against its own training time (robust to other jobs' load): "
          f"{mock_s / max(mock_s - clock.wall, 1e-9):.2f}x")
    print(f"  mock chip time {clock.wall:.1f} s wall, {chip:.1f} s CPU: setup "
          f"{clock.setup:.1f} s ({tiles_of(mock)} tiles), "
          f"initial programming {sum(s for _, s in initial):.1f} s "
          f"({sum(c for c, _ in initial)} cells), {len(writes)} write-verify calls "
          f"{sum(s for _, s in writes):.1f} s ({sum(c for c, _ in writes)} cells), "
          f"{len(clock.refreshes)} read-backs {sum(clock.refreshes):.2f} s")
    changes = [int(n) for n in args.full_changes.split(",")]
    full_chip = estimate_full(clock, mock, changes, layers, print)
    print(f"  estimated full protocol: software {args.software_full:.0f} s, mock "
          f"{args.software_full + full_chip:.0f} s: ratio "
          f"{(args.software_full + full_chip) / args.software_full:.2f}x")


if __name__ == "__main__":
    main()
