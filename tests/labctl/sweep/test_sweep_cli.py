"""``labctl sweep`` end to end on a 2-worker LocalCluster: the index, the aggregated table,
the resume rule (complete runs kept, failed ones kept unless retried, missing ones run),
figures equal to the run alone, a client killed mid-sweep, and bad input refused at once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory")

REPO = Path(__file__).resolve().parents[3]
SETUP = REPO / "data" / "setups" / "mock-server.toml"
SPEC = f"""
command = "train"
[options]
limit = 300
epochs = 1
hidden = [32]
setup = "{SETUP}"
[grid]
seed = [0, 1]
backend = ["software", "chip"]    # nothing serves the chip's setup: those runs fail
"""


def sweep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labctl", "sweep", *args, "--workers", "2"],
                          capture_output=True, text=True, timeout=600)


def index(directory: Path) -> dict[str, list]:
    with Archive(directory / "sweep.h5") as archive:
        return {"label": [x.decode() for x in archive.array("runs/label")],
                "status": [x.decode() for x in archive.array("runs/status")],
                "attempts": [int(n) for n in archive.array("runs/attempts")],
                "archive": [directory / x.decode() for x in archive.array("runs/archive")],
                "level_changes": list(archive.array("figures/level_changes")),
                "accuracy": archive.array("figures/accuracy")}


def wait_for_a_run(proc: subprocess.Popen, out: Path, status: str) -> None:
    """Return once the running sweep's index has a run in ``status``."""
    deadline = time.monotonic() + 300
    while True:
        assert proc.poll() is None and time.monotonic() < deadline
        try:
            if status in index(out)["status"]:
                return
        except Exception:  # not written yet, or being replaced
            pass
        time.sleep(0.1)


def stamps(paths: list[Path]) -> list[int | None]:
    return [p.stat().st_mtime_ns if p.exists() else None for p in paths]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("sweep")
    spec = base / "spec.toml"
    spec.write_text(SPEC)
    done = sweep(str(spec), "--out", str(base / "out"))
    return spec, base / "out", done


def test_every_run_is_indexed_and_the_table_pools_the_seeds(swept):
    _, out, done = swept
    assert done.returncode == 2, done.stderr
    assert "2 of 4 runs failed" in done.stderr.splitlines()[-1]
    found = index(out)
    assert found["label"] == ["seed=0, backend=software", "seed=0, backend=chip",
                              "seed=1, backend=software", "seed=1, backend=chip"]
    assert found["status"] == ["complete", "failed", "complete", "failed"]
    assert found["attempts"] == [1, 1, 1, 1]
    assert all(p.exists() for p in found["archive"][::2])
    assert "Test accuracy (%) after each task" in done.stdout
    assert "failed: seed=0, backend=chip: nothing answers" in done.stdout
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    groups = {g["point"]["backend"]: g for g in json.loads(text)["groups"]}
    assert (groups["software"]["complete"], groups["chip"]["failed"]) == (2, 2)
    changes = groups["software"]["figures"]["level_changes"]
    assert changes["count"] == 2
    assert changes["mean"] == pytest.approx(sum(found["level_changes"][::2]) / 2)
    code, text = run_cli("inspect", str(out))
    assert code == 0, text
    words = " ".join(text.split())  # the console wraps long lines
    assert "backend chip,software created" in words  # no single seed to name


def test_a_run_of_the_sweep_equals_the_same_config_run_alone(swept, tmp_path: Path):
    _, out, _ = swept
    alone = tmp_path / "alone.h5"
    code, text = run_cli("train", "--limit", "300", "--epochs", "1", "--hidden", "32",
                         "--setup", str(SETUP), "--seed", "1", "--threads", "1",
                         "--out", str(alone))
    assert code == 0, text
    with Archive(alone) as archive:
        summary = archive.stored_summary
    found = index(out)
    assert sum(summary["level_changes_per_epoch"]) == found["level_changes"][2]
    after = summary["accuracy_after_task"]
    tasks = ["mnist", "fashion-mnist"]
    assert [[after[a][t] for t in tasks] for a in tasks] == found["accuracy"][2].tolist()


def test_a_rerun_keeps_complete_and_failed_runs_and_runs_what_is_missing(swept):
    spec, out, _ = swept
    before = index(out)
    kept = stamps(before["archive"])
    again = sweep(str(spec), "--out", str(out))
    assert again.returncode == 2
    assert "4 ended before this session" in again.stderr
    assert index(out)["attempts"] == [1, 1, 1, 1]
    assert stamps(before["archive"]) == kept
    before["archive"][2].unlink()
    retried = sweep(str(spec), "--out", str(out), "--retry-failed")
    assert retried.returncode == 2
    after = index(out)
    assert after["attempts"] == [1, 2, 2, 2]
    assert after["status"] == ["complete", "failed", "complete", "failed"]
    assert stamps(after["archive"])[0] == kept[0]
    assert after["level_changes"][2] == before["level_changes"][2]


def test_a_sweep_whose_client_is_killed_completes_when_run_again(tmp_path: Path):
    spec = tmp_path / "spec.toml"
    spec.write_text('command = "train"\n[options]\nlimit = 1200\nepochs = 2\nhidden = [32]\n'
                    "[grid]\nseed = [0, 1, 2, 3]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "labctl", "sweep", str(spec), "--out",
                             str(out), "--workers", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_a_run(proc, out, "complete")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    first = index(out)
    finished = [p for p, s in zip(first["archive"], first["status"], strict=True)
                if s == "complete"]
    kept = stamps(finished)
    done = sweep(str(spec), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert index(out)["status"] == ["complete"] * 4
    assert stamps(finished) == kept


@pytest.mark.parametrize(("spec", "extra", "message"), [
    ('command = "calibrate"\n[grid]\nseed = [0]\n', [], "cannot run command 'calibrate'"),
    ('command = "train"\n[options]\nspeed = 1\n[grid]\nseed = [0]\n', [],
     "train has no option 'speed'"),
    ('command = "train"\n', [], "the sweep's grid is empty"),
    ('command = "train"\n[grid]\nseed = [0]\nepochs = [1, 0]\n', [],
     "grid point 1 (seed=0, epochs=0): invalid --epochs"),
    ('command = "train"\n[grid]\nseed = [0]\n', ["--scheduler", "nonsense"],
     "cannot reach a Dask scheduler at 'nonsense'"),
])
def test_bad_input_is_one_line_and_starts_no_run(tmp_path: Path, spec: str, extra: list[str],
                                                 message: str):
    path = tmp_path / "spec.toml"
    path.write_text(spec)
    code, text = run_cli("sweep", str(path), "--out", str(tmp_path / "out"), *extra)
    assert code == 2
    lines = [line for line in text.splitlines() if line.strip() and "sweep:" not in line]
    assert len(lines) == 1 and message in lines[0], text
    assert not (tmp_path / "out" / "runs").exists()


def test_a_folder_of_another_sweep_is_refused(swept, tmp_path: Path):
    _, out, _ = swept
    other = tmp_path / "other.toml"
    other.write_text('command = "train"\n[grid]\nseed = [7]\n')
    code, text = run_cli("sweep", str(other), "--out", str(out))
    assert code == 2 and "holds the index of another sweep" in text


def test_a_programming_sweep_reports_its_figures_per_point(tmp_path: Path):
    spec = tmp_path / "spec.toml"
    spec.write_text('command = "program"\n[options]\nrows = "0:4"\ncols = "0:8"\nwait = 1.0\n'
                    "[grid]\nseed = [0, 1]\ntolerance = [2.0, 4.0]\n")
    done = subprocess.run([sys.executable, "-m", "labctl", "sweep", str(spec), "--out",
                           str(tmp_path / "out"), "--workers", "1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    code, text = run_cli("inspect", str(tmp_path / "out"), "--json")
    assert code == 0, text
    groups = json.loads(text)["groups"]
    assert [g["point"] for g in groups] == [{"tolerance": 2.0}, {"tolerance": 4.0}]
    for group in groups:
        success = group["figures"]["success_rate"]
        assert success["count"] == 2 and 0.5 < success["mean"] <= 1.0
        assert group["figures"]["readback_error_after_wait"]["count"] == 2
    with Archive(tmp_path / "out" / "sweep.h5") as archive:
        configs = [json.loads(c) for c in archive.array("runs/config")]
    assert [c["tolerance"] for c in configs] == pytest.approx([2e-6, 4e-6, 2e-6, 4e-6])
    assert "Key figures" in done.stdout and "success" in done.stdout


def test_ctrl_c_stops_the_sweep_with_its_index_closed_as_interrupted(tmp_path: Path):
    spec = tmp_path / "spec.toml"
    spec.write_text('command = "train"\n[options]\nlimit = 3000\nepochs = 2\nhidden = [32]\n'
                    "[grid]\nseed = [0, 1, 2]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "labctl", "sweep", str(spec), "--out",
                             str(out), "--workers", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wait_for_a_run(proc, out, "running")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: interrupted with 0 of 3 runs complete")
    with Archive(out / "sweep.h5") as archive:
        assert archive.status == "interrupted"


def test_the_level_changes_of_every_epoch_are_drawn_from_the_runs_archives(swept,
                                                                           tmp_path: Path):
    _, out, _ = swept
    code, text = run_cli("plot", str(out), "--out", str(tmp_path / "plots"))
    assert code == 0, text
    assert (tmp_path / "plots" / "level_changes_per_epoch.png").stat().st_size > 20_000
    alone = tmp_path / "index-only"
    alone.mkdir()
    shutil.copyfile(out / "sweep.h5", alone / "sweep.h5")
    code, text = run_cli("plot", str(alone), "--out", str(tmp_path / "without"))
    assert code == 0, text
    assert not (tmp_path / "without" / "level_changes_per_epoch.png").exists()
    assert (tmp_path / "without" / "cl_matrix.png").exists()
