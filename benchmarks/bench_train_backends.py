"""Wall time of ``labctl train`` on the software and the mock backend, same protocol, one process.

Run: ``LABCTL_DATASETS=../shared/datasets python benchmarks/bench_train_backends.py``
(defaults: hidden 256, 1 epoch per task, the first 6000 samples of each task). Prints both
wall times and their ratio (target of issue 5: mock <= 1.5x software); the mock run's wall
over its own training time without the chip (the same ratio, free of the noise that other
jobs add between the two runs: torch threads slow down by large factors on shared cores);
where the mock run's chip time goes (setup = forming + gate calibration, initial programming,
write-verify of level changes, read-backs); and an estimate for the full default protocol:
the cost of one write-verify call against its size is measured by probe writes of 1 to 2560
weights after training and applied to the full run's calls (a layer's changes in proportion
to its weights, at most one call per layer and step), with the full
run's level changes per epoch from ``--full-changes`` (default: those of a software run of
the default protocol, 784-1024-512-10 and 5 epochs per task, seed 0).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import torch

from labctl.datasets import DatasetFetcher
from labctl.learning import TrainConfig, make_weight_store, train
from labctl.learning.backends import mock_tiles
from labctl.learning.chip_store import ChipStore

FULL_CHANGES = (700047, 1301957, 968378, 302512, 46754, 387968, 259242, 90593, 14495, 1897)
"""Level changes per epoch of a software run of the default protocol (MNIST, Fashion-MNIST)."""
FULL_SAMPLES = 60_000
PROBE_SIZES = (1, 4, 16, 64, 256, 1024, 2560)
"""Weights per probe write: from a late epoch's one change to a first epoch's ~2500 a step."""


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
    probes: list[tuple[int, float]] = field(default_factory=list)
    """(cells written, seconds) of the probe writes after training."""
    levels: dict[str, torch.Tensor] = field(default_factory=dict)

    def wrap(self, store: ChipStore) -> None:
        """Time ``store.program`` and ``store.refresh`` from now on."""
        program, refresh = store.program, store.refresh

        def timed_program(layer: str, levels: torch.Tensor) -> Any:
            self.levels[layer] = levels
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

    def probe(self, store: ChipStore, sizes: tuple[int, ...] = PROBE_SIZES, repeats: int = 3,
              seed: int = 0) -> None:
        """Write calls of ``sizes`` weights (one level up or down each) on the first layer.

        The reduced run's calls are all about the same size; these spread the sizes so the
        fit separates the cost of a call from the cost of a cell.
        """
        rng = np.random.default_rng(seed)
        layer = next(iter(store.maps))
        levels = self.levels[layer].clone().reshape(-1)
        top = store.plan.n_levels - 1
        for size in sizes * repeats:
            idx = torch.from_numpy(rng.choice(levels.numel(), size, replace=False))
            step = torch.where(levels[idx] < top, 1, -1)
            levels[idx] += step
            store.program(layer, levels.reshape(self.levels[layer].shape).clone())
            self.probes.append(self.calls.pop())  # timed by the wrapper


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
        if clock is not None:
            clock.probe(store)  # type: ignore[arg-type]
    finally:
        store.close()
    return time.perf_counter() - start


def call_cost(probes: list[tuple[int, float]]) -> Callable[[float], float]:
    """Seconds of one write-verify call of ``cells`` cells, interpolated between the probes.

    A call costs a turn per pulse of its slowest cell whatever its size, so the cost grows far
    slower than the cells; interpolating the measured curve avoids a linear model's bias.
    """
    cells, seconds = np.array(probes, dtype=float).T
    sizes = np.unique(cells)
    mean = np.array([seconds[cells == c].mean() for c in sizes])
    return lambda n: float(np.interp(n, sizes, mean))


def estimate_full(clock: ChipClock, reduced: TrainConfig, changes: list[int], layers: int,
                  show: Callable[[str], None]) -> float:
    """Chip seconds of the full default protocol, scaled from the reduced run and the probes."""
    full = TrainConfig.build()
    initial_cells, initial_s = (sum(c for c, _ in clock.calls[:layers]),
                                sum(s for _, s in clock.calls[:layers]))
    cost = call_cost(clock.probes)
    tiles, full_tiles = mock_tiles(reduced), mock_tiles(full)
    weights = [a * b for a, b in pairwise(full.sizes)]
    steps = -(-FULL_SAMPLES // full.batch_size)
    calls = 0
    writes = 0.0
    for n in changes:
        for w in weights:
            layer_changes = n * w / sum(weights)
            layer_calls = min(steps, round(layer_changes))
            if layer_calls:
                calls += layer_calls
                writes += layer_calls * cost(2 * layer_changes / layer_calls)
    setup = clock.setup * full_tiles / tiles
    initial = initial_s * 2 * sum(weights) / initial_cells
    reads = np.mean(clock.refreshes) * full_tiles / tiles * len(changes)
    curve = ", ".join(f"{c} cells {cost(c) * 1e3:.1f} ms" for c in sorted({c for c, _ in
                                                                            clock.probes}))
    show(f"  one write-verify call (CPU): {curve}")
    show(f"  full protocol ({full_tiles} tiles, {len(changes)} epochs, {sum(changes)} level "
         f"changes, ~{calls} calls): setup {setup:.0f} s, initial programming "
         f"{initial:.0f} s ({2 * sum(weights)} cells), writes {writes:.0f} s, read-backs "
         f"{reads:.0f} s")
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
    parser.add_argument("--software-full", type=float, default=204.0,
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
          f"{clock.setup:.1f} s ({mock_tiles(mock)} tiles), "
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
