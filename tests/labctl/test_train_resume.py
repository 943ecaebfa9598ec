"""A training run killed at any point resumes from its archive to the uninterrupted result,
bit for bit on the software and the mock backends, and its archive remembers the resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from labctl.learning import archive as train_archive
from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

SMALL = ["--hidden", "32", "--epochs", "2", "--limit", "1200", "--seed", "5"]
EXACT = ("level_changes_per_epoch", "accuracy_after_task", "writes_per_device_max",
         "writes_per_device_mean", "failed_writes", "pulses", "initial_writes", "bench_time")


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "labctl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def checkpoint_epochs(path: Path) -> int:
    """Epochs covered by the archive's last checkpoint, read with plain h5py (0 if none)."""
    try:
        with h5py.File(path, "r") as f:
            task, epoch, valid = f["entry/checkpoint/position"][...]
    except (OSError, KeyError):
        return 0
    return int(2 * task + epoch) if valid else 0


def summary(path: Path) -> dict:
    code, out = run_cli("inspect", str(path), "--json")
    assert code == 0, out
    return json.loads(out)


def kill_after(proc: subprocess.Popen[str], path: Path, epochs: int, sig: int) -> None:
    deadline = time.monotonic() + 300
    while checkpoint_epochs(path) < epochs:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.wait(timeout=120)


def train(*args: str) -> None:
    code, out = run_cli("train", *args)
    assert code == 0, out


def assert_same_run(resumed: dict, whole: dict) -> None:
    assert resumed["status"] == "complete"
    for key in EXACT:
        assert resumed[key] == whole[key], key


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The uninterrupted runs, on each backend."""
    base = tmp_path_factory.mktemp("whole")
    out = {}
    for backend in ("software", "mock"):
        train("--backend", backend, *SMALL, "--out", str(base / f"{backend}.h5"))
        out[backend] = summary(base / f"{backend}.h5")
    return out


@pytest.mark.parametrize("backend", ["software", "mock"])
def test_sigkill_after_a_checkpoint_then_resume_equals_the_uninterrupted_run(
        whole: dict[str, dict], tmp_path: Path, backend: str) -> None:
    killed = tmp_path / "killed.h5"
    proc = start("train", "--backend", backend, *SMALL, "--out", str(killed))
    kill_after(proc, killed, 1, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    partial = summary(killed)
    assert partial["status"].startswith("incomplete")
    assert partial["progress"].startswith(f"{partial['epochs_completed']} of 4 epochs")
    assert "resumable" in partial["progress"]
    train("--resume", str(killed))
    resumed = summary(killed)
    assert_same_run(resumed, whole[backend])
    assert resumed["created"] == partial["created"]
    assert resumed["resumes"] == 1
    assert resumed["wall_time"] > partial["wall_time"]
    with h5py.File(killed, "r") as f:
        history = f["entry/resumes"]
        assert int(history["epoch"][0]) + 2 * int(history["task"][0]) == partial[
            "epochs_completed"]


def test_killed_between_an_epochs_record_and_its_checkpoint_nothing_is_counted_twice(
        whole: dict[str, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cut.h5"
    real = train_archive.TrainArchive.checkpoint
    calls = []

    def cut(self: train_archive.TrainArchive, *args: object) -> None:
        calls.append(1)
        if len(calls) == 2:  # the second epoch's checkpoint: its record is already taken
            raise KeyboardInterrupt
        real(self, *args)

    monkeypatch.setattr(train_archive.TrainArchive, "checkpoint", cut)
    code, text = run_cli("train", *SMALL, "--out", str(out))
    assert code != 0, text
    monkeypatch.setattr(train_archive.TrainArchive, "checkpoint", real)
    partial = summary(out)
    assert partial["status"] == "interrupted" and partial["epochs_completed"] == 1
    train("--resume", str(out))
    assert_same_run(summary(out), whole["software"])


def test_killed_during_the_final_close_the_run_resumes_to_complete(
        whole: dict[str, dict], tmp_path: Path) -> None:
    out = tmp_path / "closing.h5"
    script = textwrap.dedent("""
        import os, signal, sys
        import labctl.archive.writer as writer
        from labctl.cli import main
        close = writer.ArchiveWriter.close
        def die(self, status, summary):
            writer.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
            close(self, status, summary)
        writer.ArchiveWriter.close = die
        sys.argv = ["labctl", *sys.argv[1:]]
        main()
    """)
    run = subprocess.run([sys.executable, "-c", script, "train", *SMALL, "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == -signal.SIGKILL, run.stderr
    partial = summary(out)
    assert partial["status"].startswith("incomplete") and partial["epochs_completed"] == 4
    train("--resume", str(out))
    assert_same_run(summary(out), whole["software"])


def test_a_run_killed_before_its_first_checkpoint_is_refused_with_one_line(
        tmp_path: Path) -> None:
    out = tmp_path / "early.h5"
    proc = start("train", *SMALL, "--out", str(out))
    deadline = time.monotonic() + 120
    while not out.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    with h5py.File(out, "r") as f:
        assert len(f["entry/epochs/epoch"]) == 0
    code, text = run_cli("train", "--resume", str(out))
    assert code == 2 and "no checkpoint yet" in text


def test_ctrl_c_stops_after_a_step_with_the_archive_closed(tmp_path: Path) -> None:
    out = tmp_path / "stopped.h5"
    proc = start("train", "--backend", "mock", *SMALL, "--out", str(out))
    kill_after(proc, out, 1, signal.SIGINT)
    assert proc.returncode == 2
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "training stopped" in stderr
    assert f"labctl train --resume {out}" in "".join(stderr.split("\n"))
    stopped = summary(out)
    assert stopped["status"] == "interrupted"
    assert "tasks" in stopped and stopped["epochs_completed"] >= 1
    train("--resume", str(out))
    final = summary(out)
    assert final["status"] == "complete" and final["backend"] == "mock"
    assert len(final["level_changes_per_epoch"]) == 4
    np.testing.assert_array_equal(final["level_changes_per_epoch"][:1],
                                  stopped["level_changes_per_epoch"][:1])
