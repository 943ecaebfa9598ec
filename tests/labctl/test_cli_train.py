"""``labctl train`` and ``labctl data fetch`` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.archive import Archive
from labctl.cli import app


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--levels", "1"], "invalid --levels"),
        (["--hidden", "0"], "invalid --hidden"),
        (["--lr-warmup", "1.5"], "invalid --lr-warmup"),
        (["--tasks", "mnist,kmnist"], "unknown task 'kmnist'"),
        (["--tasks", ","], "invalid --tasks: no task named: give e.g. mnist,fashion-mnist"),
        (["--meta", "inf"], "invalid --meta: Input should be a finite number"),
        (["--lr", "nan"], "invalid --lr: Input should be a finite number"),
        (["--hidden", "100000000"], "needs at least 1,270.4 GB of memory"),
        (["--backend", "mock", "--hidden", "100000"], "a simulated chip holds at most 1024"),
    ],
)
def test_bad_input_is_one_line_and_a_failing_exit(args: list[str], fragment: str):
    done = subprocess.run(
        [sys.executable, "-m", "labctl", "train", "--limit", "20", "--epochs", "1", *args],
        capture_output=True, text=True,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0]


def test_corrupt_dataset_names_the_file(tmp_path: Path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(4))
    env = {**os.environ, "LABCTL_DATASETS": str(tmp_path), "LABCTL_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "labctl", "data", "fetch", "--tasks", "mnist", "--offline"],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode != 0
    assert "checksum mismatch" in done.stderr and "train-images-idx3-ubyte" in done.stderr


@pytest.mark.skipif("LABCTL_DATASETS" not in os.environ, reason="real datasets not provided")
def test_train_writes_archive_table_and_plots(tmp_path: Path):
    out = tmp_path / "run.h5"
    result = CliRunner().invoke(app, [
        "train", "--hidden", "32", "--epochs", "1", "--limit", "500", "--out", str(out),
        "--plot",
    ])
    assert result.exit_code == 0, result.output
    assert "after" in result.output and "fashion-mnist" in result.output
    with Archive(out) as archive:
        assert archive.kind == "train" and archive.status == "complete"
        assert archive.table("accuracy").shape == (4,)
        assert archive.table("epochs").shape == (2,)
        assert archive.array("device_writes/fc0").shape == (32, 784)
        summary = archive.stored_summary
    assert summary is not None
    assert set(summary["accuracy_after_task"]) == {"mnist", "fashion-mnist"}
    assert summary["memory"]["ratio_vs_reference"] > 15
    assert out.with_suffix(".png").stat().st_size > 10_000
