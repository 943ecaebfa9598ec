"""The examples cannot rot: every script in examples/ and the notebook run to the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(tmp_path: Path, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_program_read_then_analyse_the_archive(tmp_path: Path) -> None:
    out = run(tmp_path, "program_and_read.py", "--levels", "4")
    assert "256 cells" in out and "level 3" in out and "read: median" in out
    (archive,) = (tmp_path / "runs").glob("program-*.h5")
    out = run(tmp_path, "analyse_archive.py", str(archive))
    assert "level 0:" in out and "pulses per cell" in out
    assert archive.with_name(f"{archive.stem}-map.png").stat().st_size > 5_000


def test_train_on_the_simulated_chip(tmp_path: Path) -> None:
    if not os.environ.get("LABCTL_DATASETS"):
        pytest.skip("set LABCTL_DATASETS to the datasets directory")
    out = run(tmp_path, "train_mock.py", "--hidden", "16", "--limit", "500")
    assert "after" in out and "fashion-mnist" in out and "level changes" in out


def test_the_notebook_runs_to_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("LABCTL_DATASETS"):
        pytest.skip("set LABCTL_DATASETS to the datasets directory")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline, as in Jupyter
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3


def test_a_sweep_runs_and_opens_as_one_dataset(tmp_path: Path) -> None:
    if not os.environ.get("LABCTL_DATASETS"):
        pytest.skip("set LABCTL_DATASETS to the datasets directory")
    out = run(tmp_path, "sweep_seeds.py", "--limit", "300")
    assert "4 of 4 runs complete" in out
    assert "m* = 0: MNIST after Fashion-MNIST" in out and "over 2 seeds" in out
    again = run(tmp_path, "sweep_seeds.py", "--limit", "300")
    assert again.splitlines()[1:] == out.splitlines()[1:]
