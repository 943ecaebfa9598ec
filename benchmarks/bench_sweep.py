"""Benchmark of ``labctl sweep`` (issue 15): speed-up, identity with lone runs, and kills.

1. Four reduced training runs on the simulated chip (seeds 0-3), first one after another as
   four ``labctl train`` commands (the shell loop a lab writes today), then as one sweep on a
   LocalCluster of 2 workers. Target: sweep wall time <= 0.6x the loop's.
2. Every run's figures in the sweep's index equal the lone run's, bit for bit.
3. The sweep's client is SIGKILLed once a run is complete; run again, the sweep completes and
   no run that was complete is repeated (its archive is not rewritten).
4. One worker process is SIGKILLed while its run is part-way; the sweep completes (Dask
   reschedules the run, which continues from its checkpoint).

    python benchmarks/bench_sweep.py [--limit 6000] [--epochs 2] [--repeats 3] [--keep DIR]

The loop and the sweep alternate ``--repeats`` times; the ratio of each pair is printed, then
the median and the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import psutil

TARGET = 0.6
"""Most sweep wall time, as a fraction of the same runs one after another."""
SEEDS = (0, 1, 2, 3)
EXACT = ("writes_per_device_mean", "writes_per_device_max", "level_changes", "pulses",
         "failed_writes")
"""Figures a run must reproduce exactly (wall time aside)."""


def labctl(*args: str) -> list[str]:
    exe = shutil.which("labctl") or sys.exit("labctl is not installed in this environment")
    return [exe, *args]


def options(limit: int, epochs: int) -> dict[str, object]:
    return {"backend": "mock", "limit": limit, "epochs": epochs, "hidden": [128]}


def write_spec(path: Path, opts: dict[str, object]) -> Path:
    lines = ['command = "train"', "[options]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in opts.items()]
    lines += ["[grid]", f"seed = {list(SEEDS)}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def index(directory: Path) -> dict[str, object]:
    with h5py.File(directory / "sweep.h5", "r") as f:
        e = f["entry"]
        return {"status": [s.decode() for s in e["runs/status"][...]],
                "attempts": [int(n) for n in e["runs/attempts"][...]],
                "archive": [directory / a.decode() for a in e["runs/archive"][...]],
                "accuracy": e["figures/accuracy"][...],
                **{name: e[f"figures/{name}"][...] for name in EXACT}}


def index_or_none(directory: Path) -> dict[str, object] | None:
    try:
        return index(directory)
    except (OSError, KeyError):
        return None


def lone_runs(scratch: Path, opts: dict[str, object]) -> tuple[float, list[dict]]:
    """The four runs as four ``labctl train`` commands; wall time and their summaries."""
    flags = ["--backend", str(opts["backend"]), "--limit", str(opts["limit"]), "--epochs",
             str(opts["epochs"]), "--hidden", ",".join(map(str, opts["hidden"])),
             "--threads", "1"]
    start = time.perf_counter()
    for seed in SEEDS:
        subprocess.run(labctl("train", *flags, "--seed", str(seed), "--out",
                              str(scratch / f"alone-{seed}.h5")), check=True,
                       capture_output=True)
    wall = time.perf_counter() - start
    summaries = []
    for seed in SEEDS:
        with h5py.File(scratch / f"alone-{seed}.h5", "r") as f:
            summaries.append(json.loads(f.attrs["summary"]))
    return wall, summaries


def identical(found: dict[str, object], lone: list[dict]) -> list[str]:
    """Where a sweep run differs from its lone run (empty: bit-identical)."""
    tasks = lone[0]["tasks"]
    diffs = []
    for i, summary in enumerate(lone):
        after = summary["accuracy_after_task"]
        matrix = np.array([[after[a][t] for t in tasks] for a in tasks])
        if not np.array_equal(matrix, found["accuracy"][i]):
            diffs.append(f"seed {SEEDS[i]}: accuracy")
        mine = {"writes_per_device_mean": summary["writes_per_device_mean"],
                "writes_per_device_max": summary["writes_per_device_max"],
                "level_changes": sum(summary["level_changes_per_epoch"]),
                "pulses": summary["pulses"], "failed_writes": summary["failed_writes"]}
        diffs += [f"seed {SEEDS[i]}: {k}" for k in EXACT if mine[k] != found[k][i]]
    return diffs


def start_sweep(spec: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(labctl("sweep", str(spec), "--out", str(out), "--workers", "2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(proc: subprocess.Popen[bytes], ready, what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the sweep ended (or timed out) before {what}")
        time.sleep(0.05)


def checkpointed(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return bool(f["entry/checkpoint/position"][2]) and f.attrs["status"] == "running"
    except (OSError, KeyError):
        return False


def client_kill(scratch: Path, spec: Path) -> dict[str, object]:
    out = scratch / "client-kill"
    proc = start_sweep(spec, out)
    wait_for(proc, lambda: "complete" in ((index_or_none(out) or {}).get("status") or []),
             "a run was complete")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = index(out)
    finished = [p for p, s in zip(first["archive"], first["status"], strict=True)
                if s == "complete"]
    stamps = [p.stat().st_mtime_ns for p in finished]
    rerun = subprocess.run(labctl("sweep", str(spec), "--out", str(out), "--workers", "2"),
                           capture_output=True, text=True)
    last = index(out)
    repeated = sum(p.stat().st_mtime_ns != s for p, s in zip(finished, stamps, strict=True))
    return {"complete_at_kill": len(finished), "repeated": repeated, "rc": rerun.returncode,
            "all_complete": last["status"] == ["complete"] * len(SEEDS)}


def worker_kill(scratch: Path, spec: Path) -> dict[str, object]:
    out = scratch / "worker-kill"
    proc = start_sweep(spec, out)
    runs = out / "runs"
    wait_for(proc, lambda: any(checkpointed(p) for p in runs.glob("*.h5")),
             "a run had its first checkpoint")
    workers = [c for c in psutil.Process(proc.pid).children()
               if "resource_tracker" not in " ".join(c.cmdline())]
    victim = workers[0]
    victim.send_signal(signal.SIGKILL)
    proc.wait(timeout=1800)
    last = index(out)
    return {"killed_pid": victim.pid, "rc": proc.returncode, "attempts": last["attempts"],
            "all_complete": last["status"] == ["complete"] * len(SEEDS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="loop/sweep pairs timed")
    parser.add_argument("--keep", type=Path, help="keep the runs in this folder")
    args = parser.parse_args()
    if "LABCTL_DATASETS" not in os.environ:
        sys.exit("set LABCTL_DATASETS to the datasets directory")
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    scratch.mkdir(parents=True, exist_ok=True)
    opts = options(args.limit, args.epochs)
    spec = write_spec(scratch / "spec.toml", opts)
    print(f"4 runs: {json.dumps(opts)}, seeds {list(SEEDS)}; machine: {os.cpu_count()} cores")

    ratios = []
    for repeat in range(args.repeats):
        trial = scratch / f"trial-{repeat}"
        trial.mkdir()
        loop, lone = lone_runs(trial, opts)
        start = time.perf_counter()
        done = subprocess.run(labctl("sweep", str(spec), "--out", str(trial / "sweep"),
                                     "--workers", "2"), capture_output=True, text=True)
        swept = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"the sweep failed: {done.stderr.strip().splitlines()[-1]}")
        ratios.append(swept / loop)
        diffs = identical(index(trial / "sweep"), lone)
        print(f"trial {repeat + 1}: 4 x labctl train one after another {loop:6.1f} s, sweep on "
              f"2 local workers {swept:6.1f} s, ratio {ratios[-1]:.3f}; figures bit-identical "
              f"to the lone runs: {diffs or 'yes'}")
    median = statistics.median(ratios)
    print(f"ratio median {median:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}) over "
          f"{len(ratios)} trials; target <= {TARGET}: {'ok' if median <= TARGET else 'MISSED'}")

    killed = client_kill(scratch, spec)
    print(f"client SIGKILLed with {killed['complete_at_kill']} run(s) complete; rerun exit "
          f"{killed['rc']}, all complete: {killed['all_complete']}, complete runs repeated: "
          f"{killed['repeated']}")
    worker = worker_kill(scratch, spec)
    print(f"worker pid {worker['killed_pid']} SIGKILLed mid-run; sweep exit {worker['rc']}, "
          f"all complete: {worker['all_complete']}, attempts per run {worker['attempts']}")
    if args.keep is None:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
