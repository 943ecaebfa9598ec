"""A programming run's archive holds its cells as they are programmed: killed or stopped
mid-batch in host mode, the file opens with plain h5py and holds what was done."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.labctl.cli_runner import run_cli

HOST_BATCH = ["program", "--mode", "host", "--rows", "0:32", "--cols", "0:32", "--levels", "4",
              "--wait", "0"]
"""1,024 cells: one write-verify batch, which takes the host many seconds pulse by pulse."""


def _rows(path: Path) -> int:
    try:
        with h5py.File(path, "r") as f:
            return len(f["entry/writes/cell"])
    except (OSError, KeyError):
        return 0


def _stop_midway(path: Path, sig: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "labctl", *HOST_BATCH, "--out", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _rows(path) < 20:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return proc


def _inspect(path: Path) -> dict:
    code, out = run_cli("inspect", str(path), "--json")
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_host_mode_commits_cells_within_a_batch(tmp_path: Path, sig: int) -> None:
    path = tmp_path / "host.h5"
    proc = _stop_midway(path, sig)
    with h5py.File(path, "r") as f:  # plain h5py, no SWMR, no h5clear
        cells = f["entry/writes/cell"][...]
    assert 20 <= len(cells) < 1024
    np.testing.assert_array_equal(cells, np.sort(cells))
    summary = _inspect(path)
    assert summary["progress"] == f"{len(cells)} of 1024 cells"
    assert summary["cells"] == len(cells)
    if sig == signal.SIGINT:
        assert proc.returncode == 2
        assert summary["status"] == "interrupted"
    else:
        assert summary["status"].startswith("incomplete")
    code, out = run_cli("plot", str(path), "--out", str(tmp_path / "partial.png"))
    assert code == 0, out
