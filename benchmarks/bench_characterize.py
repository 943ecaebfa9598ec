"""Benchmark of the characterization procedures (issue 14): ``labctl iv`` through
``labctl mock-server`` on loopback (pyvisa-py, pyserial socket://), against the same procedure
(the same routing) with every point sourced and measured by one query, both in the same run.

    python benchmarks/bench_characterize.py [--cells 64 --cycles 3]

Targets: a 64-cell, 3-cycle SET/RESET sweep of 100 points per branch in <= 10 s wall, at least
10x faster than one query per point; ``labctl retention`` (mock, 256 cells, 1 day) fits the
device model's relaxation per decade within 20 %; ``labctl endurance`` (mock) cycles 64 cells
10^6 times in <= 30 s wall and its Weibull median cycles-to-failure is within 20 % of the
device model's median budget. Each endurance run also prints the median budget the seed drew
for its own cells, which separates the fit's error from the sampling error of 64 cells
(log-normal sigma 1: about 16 % on the median); a 1024-cell run shows the fit with that
sampling error four times smaller. The emulated SMU's fixed-level readings are
reads (they do not bias the cells the way a sweep point does), so the per-point baseline
measures the cost of the same points on the wire, not the same physics.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from drivers.smu import Keithley2400
from labctl.backends import open_bench
from mock_hw.params import DeviceModel
from protocols.iv import IVParams, sweep_cells

sys.path.insert(0, str(Path(__file__).parent))
from bench_chip import free_ports

SETUP = """\
[chip]
tiles = 1
[smu]
model = "keithley2400"
resource = "TCPIP0::127.0.0.1::{smu}::SOCKET"
[pulse_generator]
model = "keysight33500b"
resource = "TCPIP0::127.0.0.1::{pulse}::SOCKET"
[fpga]
url = "socket://127.0.0.1:{fpga}"
[safety]
smu_voltage_max = 4.0
pulse_voltage_max = 4.0
source_line_voltage_max = 3.5
pulse_width_min = 20e-9
pulse_width_max = 10e-6
"""
STEP, PEAK = 0.03, 1.5
"""0 -> 1.5 V -> 0 in 30 mV steps: 101 points per branch, SET and RESET alike."""


def serve(work: Path) -> tuple[subprocess.Popen, Path]:
    smu, pulse, fpga = free_ports(3)
    server = subprocess.Popen(
        [sys.executable, "-m", "labctl", "mock-server", "--smu-port", str(smu), "--pulse-port",
         str(pulse), "--fpga-port", str(fpga), "--formed"], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if line.strip() == "ready":
            break
    setup = work / "setup.toml"
    setup.write_text(SETUP.format(smu=smu, pulse=pulse, fpga=fpga))
    return server, setup


def cli_sweep(setup: Path, out: Path, rows: str, cols: str, cycles: int) -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labctl", "iv", "--backend", "chip", "--setup",
                    str(setup), "--rows", rows, "--cols", cols, "--cycles", str(cycles),
                    "--step", str(STEP), "--v-set", str(PEAK), "--v-reset", str(PEAK),
                    "--out", str(out)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = json.loads(subprocess.run(
        [sys.executable, "-m", "labctl", "inspect", str(out), "--json"], check=True,
        capture_output=True, text=True).stdout)
    return wall, summary


def list_sweeps(setup: Path, cells: np.ndarray, cycles: int) -> float:
    """The same branches as the SMU's list sweeps, in-process (no start-up), for the ratio."""
    params = IVParams(step=STEP, v_set=PEAK, v_reset=PEAK, cycles=cycles)
    with open_bench("chip", setup, 0) as bench:
        start = time.perf_counter()
        bench.sweep_iv(cells, params, lambda _: None)
        return time.perf_counter() - start


class OneQueryPerPoint:
    """The SMU's sweep done by the host instead: each level one source-level write and one
    :READ? query (the SMU set to 0 V and its compliance once)."""

    def __init__(self, smu: Keithley2400) -> None:
        self.smu = smu
        self.points = 0

    def sweep_voltage(self, levels: np.ndarray, compliance_current: float, *, delay: float,
                      nplc: float) -> np.ndarray:
        if not self.points:
            self.smu.apply_voltage(0.0, compliance_current)
        amps = []
        for volts in levels.tolist():
            self.smu.source_voltage = volts
            amps.append(self.smu.measure_current())
        self.points += len(levels)
        return np.array(amps)

    def output_off(self) -> None:
        self.smu.output_off()


def point_by_point(setup: Path, cells: np.ndarray, cycles: int) -> tuple[float, int]:
    """The same branches through the same procedure (routing included), each point one
    query."""
    params = IVParams(step=STEP, v_set=PEAK, v_reset=PEAK, cycles=cycles)
    with open_bench("chip", setup, 0) as bench:
        _, rows, cols = bench.geometry
        smu = OneQueryPerPoint(bench.smu.inner)
        start = time.perf_counter()
        sweep_cells(bench.fpga, smu, cells, rows, cols, params, lambda _: None)
        return time.perf_counter() - start, smu.points


def retention(work: Path) -> tuple[float, dict]:
    out = work / "retention.h5"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labctl", "retention", "--duration", "1d", "--out",
                    str(out)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, json.loads(subprocess.run(
        [sys.executable, "-m", "labctl", "inspect", str(out), "--json"], check=True,
        capture_output=True, text=True).stdout)


def endurance(work: Path, seed: int, side: int) -> tuple[float, dict, float]:
    """Wall time and summary of ``labctl endurance`` on a side x side region, and the median
    budget (cycles) the simulated chip of ``seed`` drew for those cells."""
    from labctl.device_model import simulated_model
    from mock_hw.array import RRAMArray

    out = work / f"endurance-{seed}-{side}.h5"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labctl", "endurance", "--cycles", "1e6", "--rows",
                    f"0:{side}", "--cols", f"0:{side}", "--seed", str(seed), "--out", str(out)],
                   check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = json.loads(subprocess.run(
        [sys.executable, "-m", "labctl", "inspect", str(out), "--json"], check=True,
        capture_output=True, text=True).stdout)
    cells = (np.arange(side)[:, None] * 128 + np.arange(side)[None, :]).ravel()
    drawn = float(np.median(RRAMArray(simulated_model({}), seed).endurance[cells]))
    return wall, summary, drawn


def print_endurance(seeds: int) -> None:
    median = DeviceModel().endurance_median
    with tempfile.TemporaryDirectory() as tmp:
        for seed, side in [(s, 8) for s in range(seeds)] + [(0, 32)]:
            wall, summary, drawn = endurance(Path(tmp), seed, side)
            fit = summary["weibull"]
            print(f"labctl endurance (mock, {summary['cells']} cells, seed {seed}, 1e6 cycles): "
                  f"{wall:.1f} s wall (target <= 30 s for 64 cells); {summary['failed']} failed; "
                  f"Weibull shape {fit['shape']:.2f}, median {fit['median']:.3g} cycles = "
                  f"{fit['median'] / median - 1:+.1%} from the model's {median:.3g} (target "
                  f"within 20 %); these cells drew a median budget of {drawn:.3g} "
                  f"({fit['median'] / drawn - 1:+.1%} from it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=64, help="cells (a square region)")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--endurance-seeds", type=int, default=3,
                        help="seeds of the 64-cell endurance runs")
    parser.add_argument("--only", choices=("iv", "endurance"), default=None,
                        help="run one part only")
    opts = parser.parse_args()
    if opts.only != "iv":
        print_endurance(opts.endurance_seeds)
    if opts.only == "endurance":
        return
    side = round(np.sqrt(opts.cells))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server, setup = serve(work)
        try:
            wall, summary = cli_sweep(setup, work / "iv.h5", f"0:{side}", f"0:{side}",
                                      opts.cycles)
            cells = np.arange(side)[:, None] * 128 + np.arange(side)[None, :]
            fast = list_sweeps(setup, cells.ravel(), opts.cycles)
            slow, points = point_by_point(setup, cells.ravel(), opts.cycles)
        finally:
            server.terminate()
            server.wait()
        kept, held = retention(work)
    branches = summary["branches"]
    print(f"labctl iv through mock-server: {summary['cells']} cells x {opts.cycles} cycles, "
          f"{branches} branches of {2 * round(PEAK / STEP) + 1} points: {wall:.2f} s wall "
          "(whole command, start-up included; target <= 10 s)")
    print(f"the same branches as list sweeps, in-process: {fast:.2f} s; the same procedure one "
          f"query per point, same {points} points: {slow:.2f} s; ratio {slow / fast:.1f}x "
          "(target >= 10x)")
    print(f"V_set median {summary['v_set']['median']:.3f} V, |V_reset| median "
          f"{summary['v_reset']['median']:.3f} V, R_on {summary['r_on']['median']:.0f} Ω, "
          f"R_off {summary['r_off']['median']:.0f} Ω, SET yield {summary['set_yield']:.3f}")
    model = DeviceModel()
    fit = held["relaxation"]
    drift_error = fit["sigma_per_decade"] / np.sqrt(fit["cells"])
    passes = ", ".join(f"{k} {'never' if t is None else f'at {t:.3g} s'}"
                       for k, t in held["error_passes"].items())
    print(f"labctl retention (mock, {held['cells']} cells, 1 d, {kept:.1f} s wall): relaxation "
          f"spread {fit['sigma_per_decade'] * 1e6:.3f} µS/decade against the model's "
          f"{model.relax_sigma_per_decade * 1e6:.3f} "
          f"({fit['sigma_per_decade'] / model.relax_sigma_per_decade - 1:+.1%}; target within "
          f"20 %), drift {fit['drift_per_decade'] * 1e6:+.3f} ± {drift_error * 1e6:.3f} "
          f"(standard error, spread / sqrt(cells)) against "
          f"{model.relax_mu_per_decade * 1e6:+.3f} µS/decade; read-back error passes {passes}")


if __name__ == "__main__":
    main()
