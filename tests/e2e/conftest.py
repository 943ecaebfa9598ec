"""``labctl mock-server`` as a subprocess on free loopback ports, with a setup file for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SETUP = """\
name = "mock-server under test"
[chip]
tiles = {tiles}
[smu]
model = "{smu_model}"
resource = "TCPIP0::127.0.0.1::{smu}::SOCKET"
timeout = 10.0
[pulse_generator]
model = "keysight33500b"
resource = "TCPIP0::127.0.0.1::{pulse}::SOCKET"
timeout = 10.0
[fpga]
url = "socket://127.0.0.1:{fpga}"
timeout = 5.0
retries = 5
[safety]
smu_voltage_max = 0.5
pulse_voltage_max = 4.0
bit_line_voltage_max = 4.0
source_line_voltage_max = 3.5
gate_voltage_max = 4.0
pulse_width_min = 20e-9
pulse_width_max = 10e-6
"""


@dataclass(frozen=True)
class MockServer:
    smu: int
    pulse: int
    fpga: int
    setup: Path
    process: subprocess.Popen[str]


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_mock_server(tmp_path: Path, *extra: str, smu_model: str = "keithley2400",
                      tiles: int = 4) -> MockServer:
    """Start the server, wait for its "ready" line, and write a setup file pointing at it."""
    smu, pulse, fpga = free_ports(3)
    cmd = [sys.executable, "-m", "labctl", "mock-server", "--smu-port", str(smu),
           "--pulse-port", str(pulse), "--fpga-port", str(fpga), "--smu-model", smu_model,
           "--tiles", str(tiles), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.strip() == "ready":
            break
    else:
        proc.kill()
        raise AssertionError(f"mock-server did not start: {lines} {proc.stderr.read()}")
    setup = tmp_path / "setup.toml"
    setup.write_text(SETUP.format(smu=smu, pulse=pulse, fpga=fpga, tiles=tiles,
                                  smu_model=smu_model))
    return MockServer(smu, pulse, fpga, setup, proc)


def stop(server: MockServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def mock_server(tmp_path: Path) -> Iterator[MockServer]:
    server = start_mock_server(tmp_path, "--formed")
    yield server
    stop(server)
