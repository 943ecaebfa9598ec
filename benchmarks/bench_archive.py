"""Benchmark of archive commits (issue 18): what crash consistency costs.

Every commit copies the archive, writes the changes into the copy, syncs it and renames it
over the file. Prints the commit time against the archive's size (a training checkpoint
rewritten each epoch), the per-second commits of a host-mode programming run, and the size of
a training archive of the default network on the mock chip (full simulation state included).

    python benchmarks/bench_archive.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from labctl.archive import ArchiveWriter
from labctl.archive.schema import WRITE_DTYPE, Array, Layout, Table, program_layout
from labctl.learning.backends import mock_tiles
from labctl.learning.config import TrainConfig
from labctl.learning.model import layer_shapes
from mock_hw import DeviceModel, RRAMArray


def commit_seconds(where: Path, megabytes: int, repeats: int = 5) -> list[float]:
    """Commit times of an archive whose checkpoint of ``megabytes`` is rewritten each time."""
    n = megabytes * (1 << 20) // 8
    layout = Layout(tables={"writes": Table(WRITE_DTYPE, {}, "write")},
                    arrays={"checkpoint": Array((n,), "<f8")})
    w = ArchiveWriter(where / f"a{megabytes}.h5", "train", layout, backend="mock", seed=0,
                      config={})
    rng = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        w.write("checkpoint", rng.random(n))
        w.append("writes", np.zeros(1, WRITE_DTYPE))
        start = time.perf_counter()
        w.commit()
        times.append(time.perf_counter() - start)
    w.close("complete", {})
    return times


def host_commits(where: Path, cells: int = 16384) -> tuple[float, float]:
    """Mean commit time and file size of a whole-array program archive written row by row."""
    w = ArchiveWriter(where / "program.h5", "program", program_layout([0], 128, 128),
                      backend="mock", seed=0, config={})
    times = []
    rows = np.zeros(128, WRITE_DTYPE)
    for start in range(0, cells, 128):
        rows["cell"] = np.arange(start, start + 128)
        w.append("writes", rows)
        t = time.perf_counter()
        w.commit()
        times.append(time.perf_counter() - t)
    w.close("complete", {})
    return statistics.mean(times), (where / "program.h5").stat().st_size / 1e6


def default_checkpoint_megabytes() -> float:
    """Bytes of the simulation state and weights a default mock training checkpoint holds."""
    config = TrainConfig(backend="mock")
    tiles = mock_tiles(config)
    sim = RRAMArray(DeviceModel(tiles=1), 0).state()
    per_tile = sum(v.nbytes for k, v in sim.items() if v.size >= 16384)
    weights = sum(a * b for a, b in layer_shapes(config.sizes).values())
    # model, optimizer moments (f32 each), levels (int8 twice), store conductances (f64)
    return (tiles * (per_tile + 16384 * 8) + weights * (3 * 4 + 2)) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        print("commit time vs archive size (copy + write + fsync + rename), 5 commits each")
        print(f"{'archive MB':>10} {'median s':>9} {'min s':>7} {'max s':>7} {'MB/s':>7}")
        for mb in (1, 10, 50, 200):
            t = commit_seconds(where, mb)
            print(f"{mb:>10} {statistics.median(t):>9.3f} {min(t):>7.3f} {max(t):>7.3f} "
                  f"{mb / statistics.median(t):>7.0f}")
        mean, size = host_commits(where)
        print(f"\nhost-mode programming archive, 16,384 cells committed 128 at a time: "
              f"{mean * 1e3:.1f} ms per commit, final file {size:.2f} MB")
    print(f"default network on the mock chip: checkpoint about "
          f"{default_checkpoint_megabytes():.0f} MB, committed once per epoch")


if __name__ == "__main__":
    main()
