"""``labctl check`` and bad setup files: one line naming the instrument and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import SETUP, MockServer, free_ports


def check(setup: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labctl", "check", "--setup", str(setup)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "160"})


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


def test_check_names_every_instrument_and_leaves_the_bench_safe(
        mock_server: MockServer) -> None:
    run = check(mock_server.setup)
    assert run.returncode == 0, run.stderr
    assert "MODEL 2400" in run.stdout and "33521B" in run.stdout
    assert "labctl-mock-fpga" in run.stdout and "left safe" in run.stdout


def test_check_shows_which_limit_binds_on_each_terminal(mock_server: MockServer) -> None:
    run = check(mock_server.setup)
    assert run.returncode == 0, run.stderr
    rows = {tuple(cell.strip() for cell in line.split("│")[1:4]): line
            for line in run.stdout.splitlines() if line.count("│") == 5}
    # the setup: SMU 0.5 V, pulses 4 V, bit lines 4 V, source lines 3.5 V, gates 4 V
    assert "safety.smu_voltage_max" in rows["bit line", "SMU", "0.5 V"]
    assert "safety.source_line_voltage_max" in rows["source line", "pulse generator", "3.5 V"]
    both = rows["bit line", "pulse generator", "4 V"]
    assert "safety.bit_line_voltage_max" in both and "safety.pulse_voltage_max" in both
    assert "safety.gate_voltage_max" in rows["gate", "FPGA board", "4 V"]
    assert "safety.pulse_width_min" in rows["shortest pulse", "FPGA board", "2e-08 s"]


@pytest.mark.parametrize(("edit", "message"), [
    (('model = "keithley2400"', 'model = "keithley2450"'), "[smu.model]"),
    (("::SOCKET\"\ntimeout = 10.0\n[pulse", "::SOCKT\"\ntimeout = 10.0\n[pulse"),
     "malformed VISA resource"),
    (("pulse_voltage_max = 4.0", "pulse_voltage_max = 40.0"), "beyond what the pulse_generator"),
    (("pulse_width_min = 20e-9", "pulse_width_min = 1e-9"), "shorter than the keysight33500b"),
    (("smu_voltage_max = 0.5", "smu_voltage_max = 250"), "beyond what the smu (keithley2400)"),
    (("[safety]", "[programming]\nset_max = 4.5\n[safety]"),
     "programming.set_max = 4.5 V is beyond safety.bit_line_voltage_max = 4 V"),
    (("[safety]", "[programming]\nreset_gate = 4.8\n[safety]"),
     "programming.reset_gate = 4.8 V is beyond safety.gate_voltage_max = 4 V"),
    (("[safety]", "[programming]\nreset_max = 3.6\n[safety]"),
     "programming.reset_max = 3.6 V is beyond safety.source_line_voltage_max = 3.5 V"),
    (("[safety]", "[programming]\nv_read = 0.6\n[safety]"),
     "programming.v_read = 0.6 V is beyond safety.smu_voltage_max = 0.5 V"),
    (("[safety]", "[programming]\nset_width = 20e-6\n[safety]"),
     "programming.set_width = 2e-05 s is outside"),
])
def test_bad_setups_are_refused_before_anything_opens(
        tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    """No server listens on the setup's ports: a setup not refused on load would fail on
    connecting instead, with another message."""
    smu, pulse, fpga = free_ports(3)
    text = SETUP.format(smu=smu, pulse=pulse, fpga=fpga, tiles=4, smu_model="keithley2400")
    assert edit[0] in text
    setup = tmp_path / "setup.toml"
    setup.write_text(text.replace(edit[0], edit[1], 1))
    assert message in one_error_line(check(setup))


def test_a_wrong_identity_is_named(mock_server: MockServer) -> None:
    text = mock_server.setup.read_text()
    mock_server.setup.write_text(text.replace(f"::{mock_server.smu}::", f"::{mock_server.pulse}::"))
    line = one_error_line(check(mock_server.setup))
    assert "Keysight" in line and "not a" in line


def test_an_instrument_that_does_not_answer_is_named(mock_server: MockServer,
                                                      tmp_path: Path) -> None:
    text = mock_server.setup.read_text()
    mock_server.setup.write_text(text.replace(f"socket://127.0.0.1:{mock_server.fpga}",
                                              "socket://127.0.0.1:9"))
    assert "FPGA" in one_error_line(check(mock_server.setup))
