"""``labctl train --backend chip`` against ``labctl mock-server``: clean runs, faulty links,
and a link that goes away for good."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from tests.e2e.conftest import MockServer, start_mock_server, stop

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

RUN = ["--hidden", "16", "--epochs", "1", "--limit", "1000", "--seed", "3"]
TILES = 8  # 784-16-10: seven tiles for the first layer, one for the second


def train(server: MockServer, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labctl", "train", "--backend", "chip", "--setup",
         str(server.setup), *RUN, "--out", str(out), *extra],
        capture_output=True, text=True, timeout=600)


def summary(path: Path) -> dict:
    run = subprocess.run([sys.executable, "-m", "labctl", "inspect", str(path), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def first_epoch_archived(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return f["entry/epochs/epoch"].shape[0] >= 1
    except (OSError, KeyError):
        return False


def faulty_setup(server: MockServer) -> None:
    """Short FPGA timeouts, so that late replies make the host retry."""
    text = server.setup.read_text().replace("timeout = 5.0\nretries = 5",
                                            "timeout = 0.3\nlong_timeout = 3.0\nretries = 8")
    server.setup.write_text(text)


def test_faults_on_the_link_change_nothing_but_the_retry_count(tmp_path: Path) -> None:
    clean_dir, faulty_dir = tmp_path / "clean", tmp_path / "faulty"
    clean_dir.mkdir()
    faulty_dir.mkdir()
    server = start_mock_server(clean_dir, "--formed", "--seed", "11", tiles=TILES)
    try:
        run = train(server, clean_dir / "run.h5")
        assert run.returncode == 0, run.stderr
        evaluated = subprocess.run(
            [sys.executable, "-m", "labctl", "evaluate", str(clean_dir / "run.h5"), "--after",
             "0,1s", "--refresh"], capture_output=True, text=True, timeout=600)
        assert evaluated.returncode == 0, evaluated.stderr
    finally:
        stop(server)
    server = start_mock_server(faulty_dir, "--formed", "--seed", "11", "--drop", "0.04",
                               "--corrupt", "0.04", "--late", "0.02", "--delay", "0.6",
                               "--error-every", "37", tiles=TILES)
    faulty_setup(server)
    try:
        run = train(server, faulty_dir / "run.h5")
        assert run.returncode == 0, run.stderr
    finally:
        stop(server)
    clean, faulty = summary(clean_dir / "run.h5"), summary(faulty_dir / "run.h5")
    assert clean["status"] == faulty["status"] == "complete"
    read_backs = clean["evaluation"]
    assert [(p["after"], p["refreshed"]) for p in read_backs] == [
        (0, False), (0, True), (1, False), (1, True)]
    assert read_backs[2]["elapsed"] >= 1.0
    for task, accuracy in clean["final_accuracy"].items():
        assert abs(read_backs[0]["accuracy"][task] - accuracy) < 0.03, task
    assert clean["link_retries"] == 0 < faulty["link_retries"]
    assert clean["instrument_errors_tolerated"] == 0 < faulty["instrument_errors_tolerated"]
    for key in ("accuracy_after_task", "level_changes_per_epoch", "pulses", "failed_writes",
                "writes_per_device_max"):
        assert faulty[key] == clean[key], key


def test_a_link_gone_for_good_stops_the_run_cleanly(tmp_path: Path) -> None:
    server = start_mock_server(tmp_path, "--formed", tiles=TILES)
    faulty_setup(server)
    out = tmp_path / "run.h5"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labctl", "train", "--backend", "chip", "--setup",
         str(server.setup), *RUN[:2], "--epochs", "50", "--limit", "1000", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not first_epoch_archived(out):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.2)
    stop(server)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "FPGA" in lines[0], stderr
    assert "Traceback" not in stderr
    partial = summary(out)
    assert partial["status"] == "failed" and "FPGA" in partial["error"]
    assert partial["epochs_completed"] >= 1
