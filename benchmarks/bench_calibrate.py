"""Benchmark of ``labctl calibrate`` (issue 13): does it recover a simulated chip's device model?

    python benchmarks/bench_calibrate.py [--seeds 2]

For each non-default device model below (the ``noisy`` preset, and a model set field by field
away from every default that calibrate fits) and each seed: program the whole 128 x 128 array
of a mock chip built with that model (``labctl program``'s defaults: 8 levels, 10-120 µS,
±2 µS, a read-back after 60 s), calibrate from the archive alone, and print every fitted
figure against the truth with its z-score (fitted - true) / uncertainty. Target: every
figure within its reported uncertainty, read as the expanded uncertainty of coverage factor
2 (|z| <= 2, about 95 %).

The truth is the model's parameter; for the programming error it is the simulated chip's own
noiseless conductance at the read-back, RMS about each level's target.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import labctl
from labctl.archive import Archive
from labctl.backends import open_bench
from labctl.calibration import calibrate
from labctl.device_model import load_model
from mock_hw.params import DeviceModel

MODELS = {
    "noisy": load_model("noisy"),
    "custom": {"read_rel_sigma": 0.02, "read_abs_sigma": 0.2e-6,
               "relax_sigma_per_decade": 1.5e-6, "relax_mu_per_decade": -0.35e-6,
               "stuck_lrs_fraction": 0.004, "stuck_hrs_fraction": 0.006, "v0": 0.35,
               "g_stuck_lrs": 130e-6, "g_stuck_hrs": 1.5e-6, "reset_depth_max": 0.5,
               "v_gate_reset_full": 2.2},
}
WAIT = 60.0


def true_programming_error(bench: labctl.Bench, archive: Path) -> dict[str, float]:
    """RMS of the chip's noiseless G about each level's target at the first read-back."""
    array = bench.simulation
    assert array is not None
    with Archive(archive) as opened:
        writes, levels = opened.table("writes"), opened.table("levels")
    ok = writes["success"]
    cells = writes["cell"][ok].astype(np.int64)
    at = array.clock - WAIT  # the wait runs from the end of programming
    decades = np.log10(1.0 + (at - array.t_prog[cells]) / array.model.relax_t0)
    g = np.maximum(array.g_prog[cells] + array._relax_coef[cells] * decades, 0.0)
    centre = levels["centre"][writes["level"][ok]]
    return {f"programming_error_L{k}": float(np.sqrt(np.mean(
        (g[writes["level"][ok] == k] - centre[writes["level"][ok] == k]) ** 2)))
        for k in levels["level"].tolist()}


def run(name: str, overrides: dict[str, float], seed: int, work: Path) -> list[float]:
    truth = DeviceModel(**overrides)
    out = work / f"{name}-{seed}.h5"
    start = time.perf_counter()
    with open_bench("mock", None, seed, device=overrides) as bench:
        labctl.program(bench, out=out, seed=seed, wait=WAIT)
        programming = true_programming_error(bench, out)
    with Archive(out) as opened:
        result = calibrate(opened, seed)
    wall = time.perf_counter() - start
    print(f"\n{name}, seed {seed} ({result.cells} cells, {wall:.1f} s): fitted vs true")
    scores = []
    for e in result.estimates:
        true = programming.get(e.name, getattr(truth, e.name, None))
        if true is None:
            print(f"  {e.name:24s} {e.value:12.5g} ± {e.uncertainty:.2g}  (no true value)")
            continue
        z = (e.value - true) / e.uncertainty if e.uncertainty > 0 else np.inf
        scores.append(z)
        print(f"  {e.name:24s} {e.value:12.5g} ± {e.uncertainty:.2g}  true {true:12.5g}  "
              f"z {z:+5.1f}{'' if abs(z) <= 2 else '  OUTSIDE'}")
    for figure, why in result.unfitted.items():
        print(f"  not fitted: {figure}: {why}")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    opts = parser.parse_args()
    scores: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, overrides in MODELS.items():
            for seed in range(opts.seeds):
                scores += run(name, overrides, seed, Path(tmp))
    z = np.array(scores)
    print(f"\n{np.count_nonzero(np.abs(z) <= 2)} of {z.size} fitted figures within 2 reported "
          f"uncertainties of the truth (target: all); RMS z-score {np.sqrt(np.mean(z ** 2)):.2f} "
          "(1 when the uncertainties are what they claim)")


if __name__ == "__main__":
    main()
