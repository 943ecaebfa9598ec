"""Every damaged, malformed or foreign file gets one line and exit 2 from ``inspect``, ``plot``
and ``train --resume``, in seconds: never a traceback, never a hang, never a silent resume."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from labctl.archive import Archive, ArchiveError
from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    program, train = base / "program.h5", base / "train.h5"
    code, out = run_cli("program", "--rows", "0:4", "--cols", "0:8", "--levels", "4",
                        "--wait", "0", "--out", str(program))
    assert code == 0, out
    code, out = run_cli("train", "--hidden", "8", "--limit", "300", "--epochs", "1",
                        "--out", str(train))
    assert code == 0, out
    return {"program": program, "train": train}


def _chunk(path: Path, dataset: str) -> tuple[int, int]:
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
    return info.byte_offset, info.size


def _flip(path: Path, offset: int, n: int) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + n):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def superblock(path: Path) -> None:
    _flip(path, 8, 40)


def table_bytes(path: Path) -> None:
    kind = "writes/g_final" if "program" in path.name else "epochs/wall_time"
    offset, size = _chunk(path, f"entry/{kind}")
    _flip(path, offset + size // 3, 4)


def checkpoint_bytes(path: Path) -> None:
    offset, size = _chunk(path, "entry/checkpoint/state/rng")
    _flip(path, offset + size // 2, 4)


def _attrs(**changes: object) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        with h5py.File(path, "r+") as f:
            for key, value in changes.items():
                if value is None:
                    del f.attrs[key]
                else:
                    f.attrs[key] = value
    return damage


def implausible_shape(path: Path) -> None:
    column = "writes/cell" if "program" in path.name else "epochs/task"
    with h5py.File(path, "r+") as f:
        f[f"entry/{column}"].resize((1 << 40,))


def missing_table(path: Path) -> None:
    with h5py.File(path, "r+") as f:
        del f["entry/writes" if "program" in path.name else "entry/epochs"]


DAMAGE = {
    "truncated": truncated,
    "superblock": superblock,
    "table bytes": table_bytes,
    "missing kind": _attrs(kind=None),
    "bad config JSON": _attrs(config="{levels: 8"),
    "schema one": _attrs(schema_version="one"),
    "seed not an int": _attrs(seed="three"),
    "config not an object": _attrs(config="[1, 2]"),
    "unknown status": _attrs(status="exploded"),
    "implausible shape": implausible_shape,
    "missing table": missing_table,
}


def _one_line_exit_2(args: list[str]) -> str:
    code, out = run_cli(*args)
    lines = [line for line in out.splitlines() if line.strip()]
    assert code == 2, out
    assert "Traceback" not in out
    assert lines[0].startswith("error:"), out
    return out


@pytest.mark.parametrize("kind", ["program", "train"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_archives_get_one_line_and_exit_2(runs: dict[str, Path], tmp_path: Path,
                                                  kind: str, damage: str) -> None:
    path = tmp_path / f"{kind}.h5"
    shutil.copyfile(runs[kind], path)
    DAMAGE[damage](path)
    with pytest.raises(ArchiveError), Archive(path) as archive:
        archive.table("writes" if kind == "program" else "epochs")
    _one_line_exit_2(["inspect", str(path)])
    _one_line_exit_2(["plot", str(path), "--out", str(tmp_path / "x.png")])
    if kind == "train":
        _one_line_exit_2(["train", "--resume", str(path)])


def test_a_flipped_byte_in_a_checkpoint_stops_the_resume_naming_the_dataset(
        runs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "train.h5"
    shutil.copyfile(runs["train"], path)
    checkpoint_bytes(path)
    out = _one_line_exit_2(["train", "--resume", str(path)])
    assert "checkpoint/state/rng" in out and "damaged" in out


def test_resuming_a_complete_run_is_refused_and_leaves_the_archive_as_it_was(
        runs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "train.h5"
    shutil.copyfile(runs["train"], path)
    before = path.read_bytes()
    out = _one_line_exit_2(["train", "--resume", str(path)])
    assert "holds a complete run: there is nothing to resume" in out
    assert path.read_bytes() == before


def test_a_damaged_superblock_is_refused_in_seconds_by_a_fresh_process(
        runs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "program.h5"
    shutil.copyfile(runs["program"], path)
    superblock(path)
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "labctl", "inspect", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.startswith("error:"), run.stderr
    assert time.monotonic() - start < 20


def test_a_non_archive_of_the_right_kind_is_refused(runs: dict[str, Path]) -> None:
    out = _one_line_exit_2(["train", "--resume", str(runs["program"])])
    assert "not a training run" in out


def test_intact_archives_read_back_whole(runs: dict[str, Path]) -> None:
    for path in runs.values():
        code, out = run_cli("inspect", str(path))
        assert code == 0, out
    with Archive(runs["program"]) as a:
        assert np.isfinite(a.conductance_map(0)[:4, :8]).all()
