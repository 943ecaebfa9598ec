"""Independent clients reach the emulated bench through pyvisa-py and pyserial on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drivers.errors import SafetyError
from drivers.fpga import FpgaLink, WriteVerifyParams
from drivers.pulse.keysight33500b import Keysight33500B
from drivers.safety import Interlock, SafetyLimits
from drivers.smu.keithley2400 import Keithley2400
from drivers.transport import VisaTransport
from labctl.archive import Archive
from labctl.backends import chip_bench
from labctl.setup import load_setup
from protocols.addressing import connect_row
from tests.e2e.conftest import MockServer
from tests.interlock import Transcript

LIMITS = SafetyLimits(smu_voltage_max=0.5, pulse_voltage_max=4.0, pulse_width_min=20e-9,
                      pulse_width_max=10e-6)


def test_select_set_and_read_a_cell_over_visa_and_serial(mock_server: MockServer) -> None:
    interlock = Interlock(LIMITS)
    smu = Keithley2400(VisaTransport(f"TCPIP0::127.0.0.1::{mock_server.smu}::SOCKET",
                                     name="smu", timeout=10), interlock)
    pulse = Keysight33500B(VisaTransport(f"TCPIP0::127.0.0.1::{mock_server.pulse}::SOCKET",
                                         name="pulse", timeout=10), interlock)
    fpga = FpgaLink.from_url(f"socket://127.0.0.1:{mock_server.fpga}", interlock, timeout=5)
    try:
        assert "MODEL 2400" in smu.identity and "33521B" in pulse.identity
        assert fpga.identify().rows == 128
        cell, row, col = 5 * 128 + 7, 5, 7

        def read() -> float:
            fpga.route(0, bit_lines=[col], source_lines=[], to="smu")
            fpga.route(0, bit_lines=[], source_lines=[row], to="ground")
            fpga.set_gate(0, [row], [2.5])
            smu.apply_voltage(0.2, 1e-3)
            current = smu.measure_current()
            smu.output_off()
            return current

        def fire(line: str, volts: float, gate: float) -> None:
            fpga.route(0, bit_lines=[col], source_lines=[],
                       to="pulse" if line == "bl" else "ground")
            fpga.route(0, bit_lines=[], source_lines=[row],
                       to="ground" if line == "bl" else "pulse")
            fpga.set_gate(0, [row], [gate])
            pulse.configure_pulse(volts, 1e-6)
            pulse.fire()

        fpga.select([cell])
        for _ in range(4):
            fire("sl", 2.5, 2.7)
        low = read()
        fire("bl", 1.5, 1.2)
        high = read()
        assert 0 < low < 10e-6 * 0.2 < high, (low, high)
        assert high / 0.2 > 40e-6
    finally:
        fpga.safe_state()
        for inst in (smu, pulse, fpga):
            inst.close()


def test_program_through_mock_server_with_the_chip_backend(mock_server: MockServer,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "chip.h5"
    run = subprocess.run(
        [sys.executable, "-m", "labctl", "program", "--backend", "chip", "--setup",
         str(mock_server.setup), "--rows", "0:8", "--cols", "0:8", "--wait", "0.2",
         "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = json.loads(subprocess.run(
        [sys.executable, "-m", "labctl", "inspect", str(out), "--json"], capture_output=True,
        text=True, check=True).stdout)
    assert summary["backend"] == "chip" and summary["status"] == "complete"
    assert summary["cells"] == 64
    assert summary["success_rate"] >= 0.9
    assert "KEITHLEY" in summary["instruments"]["smu"]
    g = np.array([lv["g_mean"] for lv in summary["per_level"]])
    assert np.all(np.diff(g) > 0)


def test_chip_program_takes_write_verify_options_from_the_setup(mock_server: MockServer,
                                                                tmp_path: Path) -> None:
    setup = tmp_path / "programming.toml"
    setup.write_text(mock_server.setup.read_text() + "\n[programming]\nmax_pulses = 6\n"
                     "reads = 2\n")
    out = tmp_path / "chip.h5"
    run = subprocess.run(
        [sys.executable, "-m", "labctl", "program", "--backend", "chip", "--setup", str(setup),
         "--rows", "0:4", "--cols", "0:8", "--wait", "0", "--reads", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    with Archive(out) as archive:
        config, writes = archive.config, archive.table("writes")
    assert (config["max_pulses"], config["reads"], config["scheme"]) == (6, 3, "igvva")
    assert writes.size == 32 and writes["pulses"].max() <= 6


def test_no_request_beyond_a_terminal_limit_leaves_the_host(mock_server: MockServer,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """The issue's cases through mock-server: gate 4.5 V over a 4.0 V limit, a 3.8 V RESET
    on a source line limited to 3.5 V, a write-verify whose gates reach 4.8 V."""
    with chip_bench(load_setup(mock_server.setup)) as bench:
        wire = Transcript(bench, monkeypatch)
        with pytest.raises(SafetyError, match=r"4\.5 V.*gate.*±4 V"):
            bench.fpga.set_gate(0, [1], [4.5])
        bench.pulse.configure_pulse(3.8, 1e-6)
        wire.sent.clear()
        with pytest.raises(SafetyError, match=r"3\.8 V.*source line.*±3\.5 V"):
            connect_row(bench.fpga, 0, 1, np.array([2]), 2.5, reset=True)
        assert [name for name, _ in wire.sent] == ["fpga"] * 3  # select, two bit-line routes
        wire.sent.clear()
        bench.params = WriteVerifyParams(reset_gate=4.8, gate_max=4.6, reset_max=4.2)
        with pytest.raises(SafetyError, match="write-verify"):
            bench.program(np.arange(4), np.full(4, 40e-6), np.full(4, 44e-6), mode="fpga")
        assert wire.sent == []


def test_a_procedure_beyond_a_terminal_limit_is_one_line_and_exit_2(mock_server: MockServer,
                                                                    tmp_path: Path) -> None:
    """Forming ramps to 4.0 V; a bench whose bit lines take 3.5 V refuses it before a pulse."""
    text = mock_server.setup.read_text()
    mock_server.setup.write_text(text.replace("bit_line_voltage_max = 4.0",
                                              "bit_line_voltage_max = 3.5"))
    run = subprocess.run(
        [sys.executable, "-m", "labctl", "program", "--backend", "chip", "--setup",
         str(mock_server.setup), "--rows", "0:2", "--cols", "0:2",
         "--out", str(tmp_path / "refused.h5")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in run.stderr
    assert "forming ramp 4 V on the bit line" in errors[0] and "±3.5 V" in errors[0]
