"""Benchmark of ``labctl program`` on the default simulated chip (issue 4 targets).

Prints: the whole 128 x 128 array programmed to 8 levels in FPGA-offloaded mode (success,
pulses, read-back error, host round trips per programmed cell, wall time), how the read-back
error grows with time after programming, host-driven mode's round-trip and pulse rates, and
both modes side by side on the same region of two identically seeded chips (success, pulse
statistics, SET/RESET pulses, read-back error, wall time per cell).

    python benchmarks/bench_program.py
    python benchmarks/bench_program.py --rows 8 --cols 16 --skip-full-array   # quick
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labctl.archive import Archive, ArchiveWriter
from labctl.backends import open_bench
from labctl.bench import Bench
from labctl.programming import ProgramConfig, ProgramResult, layout_for, run_program

DELAYS = (1.0, 60.0, 3600.0, 86400.0)
"""Bench time after programming at which the array is read back again (s)."""


def program(config: ProgramConfig, path: Path) -> tuple[Bench, ProgramResult, float]:
    """Run ``labctl program``'s pipeline on a fresh simulated chip; returns its wall time."""
    bench = open_bench("mock", None, config.seed)
    archive = ArchiveWriter(path, "program", layout_for(config, bench.geometry), backend="mock",
                            seed=config.seed, config=config.model_dump())
    start = time.perf_counter()
    result = run_program(config, bench, archive, lambda *_: None)
    wall = time.perf_counter() - start
    archive.close("complete", result.summary)
    return bench, result, wall


def offloaded(work: Path) -> None:
    path = work / "fpga.h5"
    bench, result, wall = program(ProgramConfig(levels=8, wait=0.0), path)
    s: dict[str, Any] = result.summary
    total = sum(p["round_trips"] for p in s["phases"].values())
    print("FPGA-offloaded write-verify: 8 levels over 10-120 uS, +-2 uS bands, 16,384 cells")
    print(f"  success                       {s['success_rate'] * 100:9.2f} %  (target >= 99 %)")
    print(f"  read-back error, right away   {s['readback_error']['0'] * 100:9.2f} %  "
          "(target <= 1 %)")
    print(f"  pulses per cell, mean / p95   {s['pulses_mean']:9.2f} / {s['pulses_p95']:.0f}"
          "  (target mean <= 20)")
    print(f"  host round trips per cell     {s['round_trips_per_cell']:9.5f}    "
          "(programming; target <= 0.01)")
    print(f"    with forming, calibration and read-back: {total / s['cells']:.4f}")
    print(f"  wall time of the whole run    {wall:9.2f} s  (target <= 60 s)")
    print(f"  bench time of programming     {s['phases']['programming']['bench_time']:9.3f} s "
          "(simulated clock)")
    with Archive(path) as archive:
        verify = archive.table("verify")
    cells, levels = verify["cell"].astype("int64"), verify["level"]
    start = bench.clock()
    print("  read-back error after a wait (simulated bench time):")
    for delay in DELAYS:
        bench.wait(start + delay - bench.clock())
        error = result.plan.readback_error(bench.read(cells), levels)
        print(f"    {delay:>8g} s   {error * 100:6.2f} %")
    bench.close()


@dataclass(frozen=True)
class Run:
    """One programming run of a region: its key figures and its archive's write records."""

    config: ProgramConfig
    result: ProgramResult
    writes: np.ndarray
    wall: float


def region_run(config: ProgramConfig, path: Path) -> Run:
    """Program ``config``'s region on a fresh chip seeded with ``config.seed``."""
    bench, result, wall = program(config, path)
    bench.close()
    with Archive(path) as archive:
        writes = archive.table("writes")
    return Run(config, result, writes, wall)


def host_driven(work: Path, rows: int = 16, cols: int = 16, levels: int = 8,
                seed: int = 0) -> Run:
    config = ProgramConfig(levels=levels, rows=f"0:{rows}", cols=f"0:{cols}", mode="host",
                           wait=0.0, seed=seed)
    run = region_run(config, work / "host.h5")
    s = run.result.summary
    print(f"host-driven write-verify: {s['cells']} cells, each pulse = select, route, gate, "
          "fire, verify")
    print(f"  success {s['success_rate'] * 100:.2f} %, pulses per cell {s['pulses_mean']:.1f}, "
          f"{s['round_trips_per_cell']:.1f} FPGA round trips per cell")
    print(f"  {s['round_trips_per_second']:.0f} FPGA round trips/s and "
          f"{s['pulses_per_second']:.0f} pulses/s with in-process emulators")
    return run


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic (largest gap between the empirical CDFs)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    x = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, x, side="right") / a.size
                               - np.searchsorted(b, x, side="right") / b.size)))


def side_by_side(work: Path, host: Run) -> None:
    """The host-driven run next to an FPGA-offloaded run of the same region and targets on
    an identically seeded chip (same devices; forming and calibration run the same way)."""
    fpga = region_run(host.config.model_copy(update={"mode": "fpga"}), work / "twin.h5")
    runs = {"host": host, "fpga": fpga}
    plan = host.result.plan
    cells = host.writes.size

    def summary(r: Run) -> dict[str, Any]:
        return r.result.summary

    def programming(r: Run, key: str) -> float:
        return float(summary(r)["phases"]["programming"][key]) / cells

    def pulses(r: Run) -> str:
        p50, p95 = np.percentile(r.writes["pulses"], [50, 95])
        return f"{p50:.0f} / {p95:.0f} / {r.writes['pulses'].max()}"

    def offset(r: Run) -> np.ndarray:
        return r.writes["g_final"] - plan.centres[r.writes["level"].astype(np.int64)]

    rows: list[tuple[str, Callable[[Run], str]]] = [
        ("success", lambda r: f"{summary(r)['success_rate'] * 100:.2f} %"),
        ("pulses per cell, mean", lambda r: f"{r.writes['pulses'].mean():.2f}"),
        ("pulses per cell, p50 / p95 / max", pulses),
        ("SET pulses per cell, mean", lambda r: f"{r.writes['set_pulses'].mean():.2f}"),
        ("RESET pulses per cell, mean", lambda r: f"{r.writes['reset_pulses'].mean():.2f}"),
        ("SET/RESET reversals, mean", lambda r: f"{r.writes['reversals'].mean():.2f}"),
        ("final G - centre, sd", lambda r: f"{offset(r).std() * 1e6:.2f} uS"),
        ("read-back error, right away",
         lambda r: f"{summary(r)['readback_error']['0'] * 100:.2f} %"),
        ("wall time per cell, programming",
         lambda r: f"{programming(r, 'wall_time') * 1e3:.3f} ms"),
        ("wall time per cell, whole run", lambda r: f"{r.wall / cells * 1e3:.3f} ms"),
        ("host round trips per cell", lambda r: f"{summary(r)['round_trips_per_cell']:.4f}"),
        ("bench time per cell, programming",
         lambda r: f"{programming(r, 'bench_time') * 1e6:.1f} us"),
    ]
    print(f"host-driven vs FPGA-offloaded write-verify on the same seeded chip "
          f"(seed {host.config.seed}): {cells} cells, {plan.n_levels} levels, "
          f"+-{plan.tolerance * 1e6:g} uS")
    print(f"  {'':34s}{'host':>14s}{'fpga':>14s}")
    for label, cell in rows:
        print(f"  {label:34s}{cell(runs['host']):>14s}{cell(runs['fpga']):>14s}")
    crit = 1.95 * math.sqrt(2 / cells)
    print(f"  two-sample KS statistic host vs fpga (critical {crit:.3f} at alpha 0.001): "
          f"pulses {ks_statistic(host.writes['pulses'], fpga.writes['pulses']):.3f}, "
          f"final G - centre {ks_statistic(offset(host), offset(fpga)):.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16,
                        help="word lines of the host-driven / side-by-side region (16)")
    parser.add_argument("--cols", type=int, default=16,
                        help="bit lines of the host-driven / side-by-side region (16)")
    parser.add_argument("--levels", type=int, default=8,
                        help="levels of the host-driven / side-by-side runs (8)")
    parser.add_argument("--seed", type=int, default=0,
                        help="chip seed of the host-driven / side-by-side runs (0)")
    parser.add_argument("--skip-full-array", action="store_true",
                        help="skip the 16,384-cell FPGA-offloaded run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_full_array:
            offloaded(Path(tmp))
        host = host_driven(Path(tmp), args.rows, args.cols, args.levels, args.seed)
        side_by_side(Path(tmp), host)


if __name__ == "__main__":
    main()
