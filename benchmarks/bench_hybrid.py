"""Benchmark of training on a chip of one array (issue 13): the hybrid path against the
all-simulated chip, and the bench's cost of the chip backend.

    python benchmarks/bench_hybrid.py --full      # the paper protocol, two full runs
    python benchmarks/bench_hybrid.py             # the reduced run through mock-server

``--full``: program the whole array of the simulated chip (``--seed``, 0 by default;
``labctl program``'s defaults), calibrate a device model from that archive, then train the
default protocol twice with the same seed: ``--backend mock`` (every layer on a simulated
chip sized to fit) and ``--backend mock --placement auto`` (one array: the output layer on
it, the rest on the twin with the calibrated model). Target: after both tasks, within 0.5 pp
on both tasks.

Reduced: the same short run (``--limit 2000 --epochs 1``) with ``--backend chip`` through
``labctl mock-server --tiles 1`` on loopback and with ``--backend mock --placement auto``,
measured in the same run. Target: chip wall time <= 1.5x the mock's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_chip import free_ports

REDUCED = ["--limit", "2000", "--epochs", "1"]
SETUP = Path(__file__).parents[1] / "data" / "setups" / "mock-server.toml"


def labctl(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labctl", *args], check=True, capture_output=True,
                   text=True)
    return time.perf_counter() - start


def final(archive: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "labctl", "inspect", str(archive), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return {task: 100 * acc for task, acc in json.loads(out)["final_accuracy"].items()}


def full(work: Path, jobs: int, seed: int) -> None:
    model = work / "chip.toml"
    labctl("program", "--backend", "mock", "--seed", str(seed), "--out", str(work / "chip.h5"))
    labctl("calibrate", str(work / "chip.h5"), "--out", str(model))
    runs = {"mock, every layer simulated": [],
            "mock, one array + calibrated twin": ["--placement", "auto", "--twin-model",
                                                  str(model)]}
    threads = "1" if jobs > 1 else "2"
    procs = {}
    for name, extra in runs.items():
        out = work / f"{len(procs)}.h5"
        procs[name] = (out, time.perf_counter(), subprocess.Popen(
            [sys.executable, "-m", "labctl", "train", "--backend", "mock", "--seed", str(seed),
             "--threads", threads, "--out", str(out), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if jobs == 1:
            procs[name][2].wait()
    results = {}
    for name, (out, start, proc) in procs.items():
        if proc.wait() != 0:
            raise SystemExit(f"{name}: labctl train failed")
        results[name] = final(out)
        print(f"{name}: {results[name]} ({time.perf_counter() - start:.0f} s)")
    base, hybrid = results.values()
    for task in base:
        print(f"{task}: hybrid - all simulated = {hybrid[task] - base[task]:+.2f} pp "
              "(target within 0.5 pp)")


def reduced(work: Path) -> None:
    smu, pulse, fpga = free_ports(3)
    setup = work / "one-array.toml"
    text = SETUP.read_text()
    for default, port in (("5025", smu), ("5026", pulse), ("5027", fpga)):
        text = text.replace(f"::{default}::", f"::{port}::").replace(f":{default}\"",
                                                                       f":{port}\"")
    setup.write_text(text)
    server = subprocess.Popen(
        [sys.executable, "-m", "labctl", "mock-server", "--tiles", "1", "--formed",
         "--smu-port", str(smu), "--pulse-port", str(pulse), "--fpga-port", str(fpga)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if line.strip() == "ready":
            break
    try:
        chip = labctl("train", "--backend", "chip", "--setup", str(setup), *REDUCED, "--out",
                      str(work / "chip.h5"))
    finally:
        server.terminate()
        server.wait()
    mock = labctl("train", "--backend", "mock", "--placement", "auto", *REDUCED, "--out",
                  str(work / "mock.h5"))
    print(f"reduced run ({' '.join(REDUCED)}): chip through mock-server {chip:.1f} s, mock "
          f"--placement auto {mock:.1f} s, ratio {chip / mock:.2f} (target <= 1.5)")
    print(f"  chip: {final(work / 'chip.h5')}; mock: {final(work / 'mock.h5')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the two full-protocol runs")
    parser.add_argument("--jobs", type=int, default=2, help="full runs at once (--full)")
    parser.add_argument("--seed", type=int, default=0, help="seed of chip and runs (--full)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if opts.full:
            full(Path(tmp), opts.jobs, opts.seed)
        else:
            reduced(Path(tmp))


if __name__ == "__main__":
    main()
