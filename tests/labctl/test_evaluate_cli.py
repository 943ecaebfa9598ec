"""``labctl evaluate``: a finished mock run's weights left to relax on the simulated chip, read
back and evaluated at given times, optionally refreshed; the read-backs join its archive one
whole read-back at a time; bad requests are refused in one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

SMALL = ["--hidden", "32", "--epochs", "1", "--limit", "1000", "--seed", "3"]
TASKS = ("mnist", "fashion-mnist")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evaluate") / "run.h5"
    code, text = run_cli("train", "--backend", "mock", *SMALL, "--out", str(out))
    assert code == 0, text
    return out


@pytest.fixture(scope="module")
def evaluated(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("evaluated") / "run.h5"
    shutil.copyfile(trained, path)
    code, text = run_cli("evaluate", str(path), "--after", "1d,0", "--refresh", "--plot")
    assert code == 0, text
    return path, text


def points(path: Path) -> list[dict]:
    code, text = run_cli("inspect", str(path), "--json")
    assert code == 0, text
    return json.loads(text)["evaluation"]


def test_each_time_is_read_back_then_refreshed_in_order(evaluated) -> None:
    path, text = evaluated
    assert "Test accuracy (%) as the weights relaxed" in text
    got = points(path)
    assert [(p["after"], p["refreshed"]) for p in got] == [
        (0.0, False), (0.0, True), (86400.0, False), (86400.0, True)]
    assert all(p["session"] == 1 and set(p["accuracy"]) == set(TASKS) for p in got)
    assert got[0]["elapsed"] < 1.0 and 86400.0 <= got[2]["elapsed"] < 86401.0
    assert got[0]["writes"] == got[2]["writes"] == 0


def test_relaxation_moves_cells_off_their_levels_and_a_refresh_puts_them_back(
        evaluated) -> None:
    now, touched_up, day, refreshed = points(evaluated[0])
    assert now["readback_error"] < 0.01
    assert day["readback_error"] > 3 * now["readback_error"] + 0.02
    assert refreshed["readback_error"] < 0.01
    assert refreshed["writes"] > 5 * touched_up["writes"]
    assert refreshed["pulses"] > refreshed["writes"] and refreshed["bench_time"] > 0


def test_the_archive_keeps_the_run_and_verifies_after_the_evaluation(trained, evaluated
                                                                      ) -> None:
    path, _ = evaluated
    code, text = run_cli("inspect", str(path), "--json")
    assert code == 0, text
    summary = json.loads(text)
    with Archive(trained) as before:
        assert summary["final_accuracy"] == before.stored_summary["final_accuracy"]
    with Archive(path) as archive:
        archive.verify()
        assert archive.status == "complete"
        rows = archive.table("evaluation")
    assert len(rows) == 4 * len(TASKS)
    first = summary["evaluation"][0]
    for task in TASKS:
        loss = 100 * (summary["final_accuracy"][task] - first["accuracy"][task])
        assert first["loss_pp"][task] == pytest.approx(loss)
        assert abs(loss) < 3.0  # the same weights, read again
    assert path.with_suffix(".png").stat().st_size > 30_000


def test_a_second_evaluation_restores_the_same_simulated_chip(trained, tmp_path) -> None:
    path = tmp_path / "run.h5"
    shutil.copyfile(trained, path)
    for _ in range(2):
        code, text = run_cli("evaluate", str(path), "--after", "1h")
        assert code == 0, text
    one, two = points(path)
    assert (one["session"], two["session"]) == (1, 2)
    assert one["accuracy"] == two["accuracy"] and one["elapsed"] == two["elapsed"]


def evaluation_rows(path: Path) -> int:
    with h5py.File(path, "r") as f:
        group = f["entry"].get("evaluation")
        return 0 if group is None else int(group["accuracy"].shape[0])


def committed_rows(path: Path) -> int:
    """Rows of the file at ``path`` now (0 while it is being replaced)."""
    try:
        return evaluation_rows(path)
    except OSError:
        return 0


@pytest.mark.parametrize("read_backs", [1, 3])
def test_killed_mid_evaluation_the_archive_holds_whole_read_backs(trained, tmp_path,
                                                                   read_backs: int) -> None:
    path = tmp_path / "run.h5"
    shutil.copyfile(trained, path)
    proc = subprocess.Popen([sys.executable, "-m", "labctl", "evaluate", str(path), "--after",
                             "0,1h,1d,1w", "--refresh"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while committed_rows(path) < read_backs * len(TASKS):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    with Archive(path) as archive:
        archive.verify()
        assert archive.status == "complete"
    rows = evaluation_rows(path)
    assert rows % len(TASKS) == 0 and read_backs * len(TASKS) <= rows < 8 * len(TASKS)


def test_a_commit_cut_short_leaves_the_archive_as_it_was(trained, tmp_path, monkeypatch
                                                         ) -> None:
    import labctl.archive.writer as writer

    path = tmp_path / "run.h5"
    shutil.copyfile(trained, path)
    before = path.read_bytes()

    def cut(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer.os, "replace", cut)
    with pytest.raises(KeyboardInterrupt):
        from labctl.datasets import DatasetFetcher
        from labctl.evaluation import evaluate_archive

        fetcher = DatasetFetcher(None)
        evaluate_archive(path, [0.0], False, [fetcher.load(t) for t in TASKS])
    assert path.read_bytes() == before


@pytest.mark.parametrize(("after", "message"), [
    ("1 fortnight", "--after '1 fortnight' is not a duration of 0 or more"),
    ("-1h", "--after '-1h' is not a duration of 0 or more"),
    (",", "--after is empty"),
])
def test_a_bad_time_is_refused_in_one_line(trained, after: str, message: str) -> None:
    code, text = run_cli("evaluate", str(trained), "--after", after)
    assert code == 2 and message in text, text
    assert len(text.strip().splitlines()) == 1


def test_a_software_run_has_nothing_to_relax(tmp_path: Path) -> None:
    out = tmp_path / "sw.h5"
    code, text = run_cli("train", "--backend", "software", *SMALL, "--out", str(out))
    assert code == 0, text
    code, text = run_cli("evaluate", str(out))
    assert code == 2 and "is a software run" in text and "nothing to relax" in text, text
    assert len(text.strip().splitlines()) == 1
    assert evaluation_rows(out) == 0


def test_an_unfinished_run_or_another_kind_of_archive_is_refused(trained, tmp_path) -> None:
    unfinished = tmp_path / "unfinished.h5"
    shutil.copyfile(trained, unfinished)
    with h5py.File(unfinished, "r+") as f:
        f.attrs["status"] = "interrupted"
    code, text = run_cli("evaluate", str(unfinished))
    assert code == 2 and "not finished" in text and "--resume" in text, text
    assert len(text.strip().splitlines()) == 1
    other = tmp_path / "read.h5"
    code, text = run_cli("read", "--out", str(other))
    assert code == 0, text
    code, text = run_cli("evaluate", str(other))
    assert code == 2 and "is a read archive, not a training run" in text, text
    assert len(text.strip().splitlines()) == 1


def test_the_library_evaluates_as_the_command_does(trained, tmp_path) -> None:
    import labctl
    from drivers.errors import ConfigError

    path = tmp_path / "run.h5"
    shutil.copyfile(trained, path)
    read_backs = labctl.evaluate(path, ["1h", 0])
    assert [r.after for r in read_backs] == [0.0, 3600.0]
    assert all(isinstance(r, labctl.ReadBack) and len(r.accuracy) == 2 for r in read_backs)
    assert points(path)[1]["accuracy"] == dict(zip(TASKS, read_backs[1].accuracy, strict=True))
    with pytest.raises(ConfigError, match="0 or more"):
        labctl.evaluate(path, [-5.0])
