"""Speed of the simulated 16 kbit array: pulses and reads, and the noisy crossbar product.

Prints (a) the median time of one SET pulse plus one read on all 16,384 cells and (b) the
median time of a noisy MVM of a 128 x 128 tile on a batch of 100 input vectors, next to a
bare float64 numpy matmul of the same shapes measured in the same run, as a ratio.
Targets (issue 2): (a) <= 5 ms, (b) ratio <= 2. Run: ``python benchmarks/bench_array.py``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

from mock_hw import DeviceModel, RRAMArray

TARGET_PULSE_READ_MS = 5.0
TARGET_MVM_RATIO = 2.0


def _times(call: Callable[[], object], repeats: int) -> np.ndarray:
    out = np.empty(repeats)
    for k in range(repeats):
        start = time.perf_counter()
        call()
        out[k] = time.perf_counter() - start
    return out


def bench_pulse_and_read(repeats: int) -> float:
    """Median seconds of one SET pulse plus one read on every cell of a 128 x 128 tile."""
    array = RRAMArray(DeviceModel(formed_at_start=True), seed=0)
    gates = np.linspace(0.8, 2.0, array.n_cells)

    def pulse_and_read() -> None:
        array.set_pulse(None, 1.5, gates, 1e-6)
        array.read_conductance(None, 0.1)

    pulse_and_read()
    return float(np.median(_times(pulse_and_read, repeats)))


def bench_mvm(repeats: int, rounds: int) -> tuple[float, float, np.ndarray]:
    """Median seconds of a noisy 100 x 128 @ 128 x 128 MVM and of a bare float64 matmul.

    Both are timed in alternating rounds so that load from other processes hits them alike;
    the ratio of each round's medians is returned too, to show how much it moves.
    """
    array = RRAMArray(DeviceModel(formed_at_start=True), seed=0)
    array.set_pulse(None, 1.5, np.linspace(0.8, 2.0, array.n_cells), 1e-6)
    v = np.random.default_rng(1).uniform(0.0, 0.2, (100, array.model.rows))
    g = array.conductance_map()
    array.mvm(v)
    mvm, bare = [], []
    for _ in range(rounds):
        mvm.append(_times(lambda: array.mvm(v), repeats))
        bare.append(_times(lambda: v @ g, repeats))
    per_round = np.median(mvm, axis=1) / np.median(bare, axis=1)
    return float(np.median(np.concatenate(mvm))), float(np.median(np.concatenate(bare))), per_round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timings per round")
    parser.add_argument("--rounds", type=int, default=10, help="alternating MVM rounds")
    args = parser.parse_args()
    t_pulse = bench_pulse_and_read(args.repeats)
    t_mvm, t_bare, round_ratios = bench_mvm(args.repeats, args.rounds)
    ratio = t_mvm / t_bare
    pulse_ms = t_pulse * 1e3
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"(a) SET pulse + read, 16,384 cells : {pulse_ms:7.3f} ms  "
          f"(target <= {TARGET_PULSE_READ_MS} ms: {_verdict(pulse_ms <= TARGET_PULSE_READ_MS)})")
    print(f"(b) noisy MVM 100 x 128 @ 128 x 128 : {t_mvm * 1e6:7.1f} us")
    print(f"    bare numpy float64 matmul       : {t_bare * 1e6:7.1f} us")
    print(f"    ratio                           : {ratio:7.3f}    "
          f"(target <= {TARGET_MVM_RATIO}: {_verdict(ratio <= TARGET_MVM_RATIO)})")
    print(f"    ratio per round                 : {round_ratios.min():.2f} to "
          f"{round_ratios.max():.2f} over {len(round_ratios)} rounds")


def _verdict(met: bool) -> str:
    return "ok" if met else "MISSED"

if __name__ == "__main__":
    main()
