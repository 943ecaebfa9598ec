"""The archive keeps what a run took, however the run ends, and refuses what it is not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from labctl.archive import Archive, ArchiveError, ArchiveWriter
from labctl.archive.schema import (
    SCHEMA_VERSION,
    WRITE_DTYPE,
    Array,
    program_layout,
    train_layout,
)


def _writer(path: Path) -> ArchiveWriter:
    return ArchiveWriter(path, "program", program_layout([0], 4, 4), backend="mock", seed=3,
                         config={"levels": 8}, instruments={"smu": "KEITHLEY,2400"})


def test_round_trip_keeps_rows_metadata_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    rows = np.zeros(5, WRITE_DTYPE)
    rows["cell"] = np.arange(5)
    rows["g_final"] = np.linspace(10e-6, 50e-6, 5)
    w = _writer(path)
    w.append("writes", rows)
    w.write("maps/tile0", np.full((4, 4), 2e-5))
    w.close("complete", {"success_rate": 1.0})
    with Archive(path) as a:
        assert a.kind == "program" and a.backend == "mock" and a.seed == 3
        assert a.schema_version == SCHEMA_VERSION
        assert a.config == {"levels": 8}
        assert a.instruments == {"smu": "KEITHLEY,2400"}
        assert a.status == "complete"
        assert a.stored_summary == {"success_rate": 1.0}
        np.testing.assert_array_equal(a.table("writes"), rows)
        assert a.array("maps/tile0")[0, 0] == 2e-5


def test_unfinished_run_reads_as_incomplete_with_nan_maps(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    w = _writer(path)
    w.append("writes", np.zeros(3, WRITE_DTYPE))
    w.flush()
    with Archive(path) as a:
        assert a.status.startswith("incomplete")
        assert a.stored_summary is None
        assert len(a.table("writes")) == 3
        assert np.isnan(a.array("maps/tile0")).all()
    w.abandon()


_KILLED_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from labctl.archive import ArchiveWriter
    from labctl.archive.schema import WRITE_DTYPE, program_layout
    w = ArchiveWriter(sys.argv[1], "program", program_layout([0], 128, 128), backend="mock",
                      seed=0, config={})
    block = np.zeros(1000, WRITE_DTYPE)
    n = 0
    while True:
        block["cell"] = np.arange(n, n + 1000)
        w.append("writes", block)
        w.write("maps/tile0", np.full((128, 128), float(n)))
        n += 1000
        w.flush()
        print(n, flush=True)
""")


def test_sigkill_at_any_moment_leaves_every_flushed_row(tmp_path: Path) -> None:
    path = tmp_path / "killed.h5"
    script = tmp_path / "writer.py"
    script.write_text(_KILLED_WRITER)
    for target in (3000, 17000):
        proc = subprocess.Popen([sys.executable, str(script), str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        flushed = 0
        while flushed < target:
            flushed = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Archive(path) as a:
            cells = a.table("writes")["cell"]
            assert len(cells) >= flushed
            np.testing.assert_array_equal(cells, np.arange(len(cells)))
            assert a.array("maps/tile0")[0, 0] >= flushed - 1000


def test_foreign_and_corrupt_files_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1
    with pytest.raises(ArchiveError, match="not a labctl archive"):
        Archive(foreign)
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ArchiveError, match="not a readable HDF5 file"):
        Archive(garbage)
    with pytest.raises(ArchiveError, match="no such file"):
        Archive(tmp_path / "missing.h5")


def test_newer_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.h5"
    _writer(path).close("complete", {})
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ArchiveError, match="upgrade labctl"):
        Archive(path)


def test_arrays_rewritten_every_epoch_do_not_grow_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train.h5"
    layout = train_layout({"fc0": (64, 784)}, {"checkpoint/a/w": Array((64, 784), "<f4")})
    w = ArchiveWriter(path, "train", layout, backend="software", seed=0, config={})
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(6):
        w.write("checkpoint/a/w", rng.random((64, 784), dtype=np.float32))
        w.write("device_writes/fc0", rng.integers(0, 50, (64, 784)).astype(np.uint32))
        w.flush()
        sizes.append(path.stat().st_size)
    w.close("complete", {})
    assert sizes[-1] == sizes[1]
