"""Benchmark of ``labctl program`` on the default simulated chip (issue 4 targets).

Prints: the whole 128 x 128 array programmed to 8 levels in FPGA-offloaded mode (success,
pulses, read-back error, host round trips per programmed cell, wall time), how the read-back
error grows with time after programming, and host-driven mode's round-trip and pulse rates.

    python benchmarks/bench_program.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

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


def host_driven(work: Path) -> None:
    config = ProgramConfig(levels=8, rows="0:16", cols="0:16", mode="host", wait=0.0)
    bench, result, _ = program(config, work / "host.h5")
    bench.close()
    s = result.summary
    print("host-driven write-verify: 256 cells, each pulse = select, route, gate, fire, verify")
    print(f"  success {s['success_rate'] * 100:.2f} %, pulses per cell {s['pulses_mean']:.1f}, "
          f"{s['round_trips_per_cell']:.1f} FPGA round trips per cell")
    print(f"  {s['round_trips_per_second']:.0f} FPGA round trips/s and "
          f"{s['pulses_per_second']:.0f} pulses/s with in-process emulators")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        offloaded(Path(tmp))
        host_driven(Path(tmp))


if __name__ == "__main__":
    main()
