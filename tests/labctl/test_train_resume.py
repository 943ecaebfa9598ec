"""A training run survives SIGKILL and Ctrl-C: it resumes from its archive to the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

SMALL = ["--hidden", "32", "--epochs", "2", "--limit", "1200", "--seed", "5"]


def labctl(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True,
                          text=True, timeout=600, **kw)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "labctl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def checkpoint_epochs(path: Path) -> int:
    """Epochs covered by the archive's last complete checkpoint (0 if none yet)."""
    try:
        with h5py.File(path, "r", swmr=True) as f:
            _, task, epoch, valid = f["checkpoint/position"][...]
    except (OSError, KeyError, RuntimeError):
        return 0
    return int(2 * task + epoch) if valid else 0


def summary(path: Path) -> dict:
    run = labctl("inspect", str(path), "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def kill_after(proc: subprocess.Popen[str], path: Path, epochs: int, sig: int) -> None:
    deadline = time.monotonic() + 300
    while checkpoint_epochs(path) < epochs:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=120)


def test_sigkill_then_resume_reaches_the_uninterrupted_result(tmp_path: Path) -> None:
    whole = tmp_path / "whole.h5"
    assert labctl("train", *SMALL, "--out", str(whole)).returncode == 0
    killed = tmp_path / "killed.h5"
    proc = start("train", *SMALL, "--out", str(killed))
    kill_after(proc, killed, 1, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    partial = summary(killed)
    assert partial["status"].startswith("incomplete")
    assert partial["epochs_completed"] >= 1
    resumed = labctl("train", "--resume", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    a, b = summary(whole), summary(killed)
    assert b["status"] == "complete"
    assert b["level_changes_per_epoch"] == a["level_changes_per_epoch"]
    for task, row in a["accuracy_after_task"].items():
        np.testing.assert_allclose(list(b["accuracy_after_task"][task].values()),
                                   list(row.values()), atol=1e-12)


def test_ctrl_c_stops_after_a_step_with_the_archive_closed(tmp_path: Path) -> None:
    out = tmp_path / "stopped.h5"
    proc = start("train", "--backend", "mock", *SMALL, "--out", str(out))
    kill_after(proc, out, 1, signal.SIGINT)
    assert proc.returncode == 2
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "training stopped" in stderr and "--resume" in stderr
    assert summary(out)["status"] == "interrupted"
    resumed = labctl("train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    final = summary(out)
    assert final["status"] == "complete" and final["backend"] == "mock"
    assert len(final["level_changes_per_epoch"]) == 4
