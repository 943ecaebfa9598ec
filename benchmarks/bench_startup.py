"""Benchmark of the command line's first answer (issue 17): ``--help`` and one-line errors.

Each command runs as a fresh process, as a user types it; the figure is the median wall time
of several runs, with the spread. Target: <= 1.5 s on an idle machine.

    python benchmarks/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5
"""Seconds within which ``--help`` and a bad-input error answer."""


def commands(scratch: Path) -> dict[str, list[str]]:
    """What a user types first: help, and bad input caught before any bench is opened."""
    not_h5 = scratch / "notes.h5"
    not_h5.write_text("not an archive")
    return {
        "labctl --help": ["--help"],
        "labctl train --help": ["train", "--help"],
        "program --levels 1": ["program", "--levels", "1"],
        "train --levels 1": ["train", "--levels", "1"],
        "train --data-dir /nonexistent": ["train", "--data-dir", "/nonexistent"],
        "inspect (not an archive)": ["inspect", str(not_h5)],
        "check --setup missing.toml": ["check", "--setup", str(scratch / "missing.toml")],
    }


def wall_seconds(argv: list[str], repeats: int) -> list[float]:
    """Wall times of ``labctl argv`` run ``repeats`` times, each in a new process."""
    labctl = shutil.which("labctl") or sys.exit("labctl is not installed in this environment")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([labctl, *argv], capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(name, wall_seconds(argv, args.repeats))
                for name, argv in commands(Path(tmp)).items()]
    print(f"{'command':<32} {'median s':>9} {'min s':>7} {'max s':>7}  target <= {TARGET} s")
    for name, times in rows:
        median = statistics.median(times)
        verdict = "ok" if median <= TARGET else "SLOW"
        print(f"{name:<32} {median:9.2f} {min(times):7.2f} {max(times):7.2f}  {verdict}")


if __name__ == "__main__":
    main()
