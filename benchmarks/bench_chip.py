"""Benchmark of the real bench path (issue 6): one reduced training run through
``--backend chip`` against ``labctl mock-server`` on loopback (pyvisa-py, pyserial socket://)
and through ``--backend mock`` in-process, wall times measured in the same run.

    LABCTL_DATASETS=../shared/datasets python benchmarks/bench_chip.py [--hidden 64 ...]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETUP = """\
[chip]
tiles = {tiles}
[smu]
model = "keithley2400"
resource = "TCPIP0::127.0.0.1::{smu}::SOCKET"
[pulse_generator]
model = "keysight33500b"
resource = "TCPIP0::127.0.0.1::{pulse}::SOCKET"
[fpga]
url = "socket://127.0.0.1:{fpga}"
[safety]
smu_voltage_max = 0.5
pulse_voltage_max = 4.0
pulse_width_min = 20e-9
pulse_width_max = 10e-6
"""


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def timed_train(args: list[str]) -> tuple[float, dict]:
    out = Path(args[args.index("--out") + 1])
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labctl", "train", *args], check=True,
                   capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = json.loads(subprocess.run([sys.executable, "-m", "labctl", "inspect", str(out),
                                         "--json"], check=True, capture_output=True,
                                        text=True).stdout)
    return wall, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="64")
    parser.add_argument("--epochs", default="1")
    parser.add_argument("--limit", default="2000")
    parser.add_argument("--tiles", type=int, default=16)
    opts = parser.parse_args()
    run = ["--hidden", opts.hidden, "--epochs", opts.epochs, "--limit", opts.limit,
           "--seed", "0"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        smu, pulse, fpga = free_ports(3)
        server = subprocess.Popen(
            [sys.executable, "-m", "labctl", "mock-server", "--smu-port", str(smu),
             "--pulse-port", str(pulse), "--fpga-port", str(fpga), "--tiles", str(opts.tiles),
             "--formed"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert server.stdout is not None
        for line in server.stdout:
            if line.strip() == "ready":
                break
        setup = work / "setup.toml"
        setup.write_text(SETUP.format(tiles=opts.tiles, smu=smu, pulse=pulse, fpga=fpga))
        try:
            chip_wall, chip = timed_train(["--backend", "chip", "--setup", str(setup), *run,
                                           "--out", str(work / "chip.h5")])
        finally:
            server.terminate()
            server.wait()
        mock_wall, mock = timed_train(["--backend", "mock", *run, "--out",
                                       str(work / "mock.h5")])
    print(f"reduced training run: hidden {opts.hidden}, {opts.epochs} epoch(s) per task, "
          f"first {opts.limit} samples of each task")
    print(f"  --backend mock (in-process emulators)        {mock_wall:8.1f} s wall")
    print(f"  --backend chip (mock-server over loopback)   {chip_wall:8.1f} s wall")
    print(f"  ratio chip / mock                            {chip_wall / mock_wall:8.2f}"
          "   (target <= 2)")
    for name, s in (("mock", mock), ("chip", chip)):
        acc = ", ".join(f"{t} {100 * a:.2f} %" for t, a in s["final_accuracy"].items())
        print(f"  {name}: final accuracy {acc}; link retries {s['link_retries']}")


if __name__ == "__main__":
    main()
