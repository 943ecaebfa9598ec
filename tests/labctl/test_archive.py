"""The archive keeps what a run took at every instant, describes itself, and refuses what it
is not in one line."""

from __future__ import annotations

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

from labctl.archive import Archive, ArchiveError, ArchiveWriter
from labctl.archive.provenance import Provenance
from labctl.archive.schema import (
    SCHEMA_VERSION,
    WRITE_DTYPE,
    Array,
    map_path,
    program_layout,
    train_layout,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _writer(path: Path, **kw: object) -> ArchiveWriter:
    return ArchiveWriter(path, "program", program_layout([0], 4, 4), backend="mock", seed=3,
                         config={"levels": 8}, instruments={"smu": "KEITHLEY,2400"},
                         provenance=Provenance(operator="ada", sample="W07-D12",
                                               setup_text="[chip]\nid = 'W07-D12'\n",
                                               parameters={"write_verify": {
                                                   "v_set": (1.5, "V"), "reads": (1, "1")}}),
                         **kw)


def _rows(n: int, start: int = 0) -> np.ndarray:
    rows = np.zeros(n, WRITE_DTYPE)
    rows["cell"] = np.arange(start, start + n)
    rows["g_final"] = np.linspace(10e-6, 50e-6, n)
    rows["success"] = rows["cell"] % 3 > 0
    return rows


def test_round_trip_keeps_rows_metadata_provenance_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    w = _writer(path)
    w.append("writes", _rows(5))
    w.write(map_path(0), np.full((4, 4), 2e-5))
    w.close("complete", {"success_rate": 1.0})
    with Archive(path) as a:
        assert a.kind == "program" and a.backend == "mock" and a.seed == 3
        assert a.schema_version == SCHEMA_VERSION == 2
        assert a.config == {"levels": 8}
        assert a.instruments == {"smu": "KEITHLEY,2400"}
        assert a.status == "complete"
        assert a.stored_summary == {"success_rate": 1.0}
        assert a.provenance["operator"] == "ada" and a.provenance["sample"] == "W07-D12"
        assert {"host", "numpy", "torch", "h5py", "hdf5", "labctl"} <= set(a.provenance)
        np.testing.assert_array_equal(a.table("writes"), _rows(5))
        assert a.conductance_map(0)[0, 0] == 2e-5
    with h5py.File(path, "r") as f:
        params = f["entry/instrument/write_verify"]
        assert params["v_set"][()] == 1.5 and params["v_set"].attrs["units"] == "V"
        assert "id = 'W07-D12'" in f["entry/instrument/setup/data"][()].decode()
        assert f["entry/instrument/smu/name"][()].decode() == "KEITHLEY,2400"


def test_an_archive_is_nexus_with_units_scales_and_checksums_on_every_array(
        tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    _writer(path).close("complete", {})
    with h5py.File(path, "r") as f:
        assert f.attrs["NX_class"] == "NXroot"
        entry = f[f.attrs["default"]]
        assert entry.attrs["NX_class"] == "NXentry"
        data = entry[entry.attrs["default"]]
        assert data.attrs["NX_class"] == "NXdata"
        signal_ = data[data.attrs["signal"]]
        assert signal_.attrs["units"] == "S"
        assert [d.label for d in signal_.dims] == ["row", "col"]
        assert [d[0].name for d in signal_.dims] == [data.name + "/row", data.name + "/col"]
        assert entry["sample"].attrs["NX_class"] == "NXsample"
        assert entry["instrument"].attrs["NX_class"] == "NXinstrument"
        assert entry["writes/g_final"].attrs["units"] == "S"
        assert entry["writes/pulses"].attrs["units"] == "1"
        unchecked = []

        def check(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset) and obj.shape != () and not obj.fletcher32:
                unchecked.append(name)
            if isinstance(obj, h5py.Dataset) and obj.shape != () and "units" not in obj.attrs:
                unchecked.append(name + " (units)")

        f.visititems(check)
        assert unchecked == []


def test_unfinished_run_reads_as_incomplete_with_nan_maps(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    w = _writer(path)
    w.append("writes", _rows(3))
    w.commit()
    with Archive(path) as a:
        assert a.status.startswith("incomplete")
        assert a.stored_summary is None
        assert len(a.table("writes")) == 3
        assert np.isnan(a.conductance_map(0)).all()


def test_changes_reach_the_file_only_on_commit_and_a_failed_block_not_at_all(
        tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    w = _writer(path)
    w.append("writes", _rows(2))
    with Archive(path) as a:
        assert len(a.table("writes")) == 0
    with pytest.raises(KeyboardInterrupt), w.together():
        w.append("writes", _rows(4, 2))
        raise KeyboardInterrupt
    w.close("interrupted", {})
    with Archive(path) as a:
        np.testing.assert_array_equal(a.table("writes")["cell"], [0, 1])
        assert a.status == "interrupted"


_WRITER = textwrap.dedent("""
    import signal, sys
    import numpy as np
    from labctl.archive import ArchiveWriter
    from labctl.archive.schema import WRITE_DTYPE, Array, Layout, Table, WRITE_UNITS
    layout = Layout(tables={"writes": Table(WRITE_DTYPE, WRITE_UNITS, "write")},
                    arrays={"big": Array((512, 1024), "<f8")})
    w = ArchiveWriter(sys.argv[1], "program", layout, backend="mock", seed=0, config={})
    block = np.zeros(100, WRITE_DTYPE)
    n = 0
    try:
        while True:
            block["cell"] = np.arange(n, n + 100)
            with w.together():
                w.append("writes", block)
                w.write("big", np.full((512, 1024), float(n)))
            w.commit()
            n += 100
            print(n, flush=True)
    except KeyboardInterrupt:
        w.close("interrupted", {"cells": n})
        sys.exit(3)
""")


def _committed(path: Path) -> int:
    """Rows in the archive, checked to be a prefix of the writer's sequence."""
    with h5py.File(path, "r") as f:  # plain h5py: no SWMR, no h5clear
        cells = f["entry/writes/cell"][...]
        np.testing.assert_array_equal(cells, np.arange(len(cells)))
        if "big" in f["entry"] and len(cells):
            assert f["entry/big"][0, 0] == len(cells) - 100
    return len(cells)


def _start_writer(tmp_path: Path, path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    return subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_at_any_instant_leaves_a_plain_readable_file_with_every_commit(
        tmp_path: Path) -> None:
    path = tmp_path / "killed.h5"
    rng = np.random.default_rng(0)
    for delay in rng.uniform(0.0, 0.03, 12):
        proc = _start_writer(tmp_path, path)
        assert proc.stdout is not None
        committed = int(proc.stdout.readline())
        for _ in range(int(rng.integers(0, 4))):
            committed = int(proc.stdout.readline())
        time.sleep(delay)  # lands in a commit (file copy and rewrite) about half the time
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _committed(path) >= committed
        with Archive(path) as a:
            assert a.status.startswith("incomplete")


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_and_a_double_ctrl_c_leave_a_closed_file_that_says_interrupted(
        tmp_path: Path, presses: int) -> None:
    path = tmp_path / "stopped.h5"
    for delay in (0.0, 0.011, 0.023):
        proc = _start_writer(tmp_path, path)
        assert proc.stdout is not None
        committed = int(proc.stdout.readline())
        time.sleep(delay)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.002)
        proc.wait(timeout=60)
        assert proc.returncode in (3, -signal.SIGINT), proc.stderr.read() if proc.stderr else ""
        assert _committed(path) >= committed
        with Archive(path) as a:
            assert a.status == "interrupted"


def test_killed_during_the_final_close_the_file_holds_the_last_commit(tmp_path: Path) -> None:
    path = tmp_path / "closing.h5"
    script = tmp_path / "closing.py"
    script.write_text(textwrap.dedent("""
        import os, signal, sys
        import numpy as np
        import labctl.archive.writer as writer
        from labctl.archive.schema import WRITE_DTYPE, program_layout
        w = writer.ArchiveWriter(sys.argv[1], "program", program_layout([0], 4, 4),
                                 backend="mock", seed=0, config={})
        rows = np.zeros(7, WRITE_DTYPE)
        rows["cell"] = np.arange(7)
        w.append("writes", rows)
        w.commit()
        writer.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        w.close("complete", {})
    """))
    proc = subprocess.run([sys.executable, str(script), str(path)], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _committed(path) == 7
    with Archive(path) as a:
        assert a.status.startswith("incomplete")
    assert _committed(path) == 7


def test_arrays_rewritten_every_epoch_do_not_grow_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train.h5"
    layout = train_layout({"fc0": (64, 784)}, ["mnist"], 6,
                          {"checkpoint/state/w": Array((64, 784), "<f4")})
    w = ArchiveWriter(path, "train", layout, backend="software", seed=0, config={})
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(6):
        w.write("checkpoint/state/w", rng.random((64, 784), dtype=np.float32))
        w.write("device_writes/fc0", rng.integers(0, 50, (64, 784)).astype(np.uint32))
        w.commit()
        sizes.append(path.stat().st_size)
    w.close("complete", {})
    assert sizes[-1] == sizes[1]


def test_foreign_missing_and_garbage_files_are_refused_with_a_clear_message(
        tmp_path: Path) -> None:
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


def test_schema_1_archives_still_read() -> None:
    with Archive(FIXTURES / "v1-program.h5") as a:
        assert a.schema_version == 1 and a.kind == "program"
        assert len(a.table("writes")) == 32 and a.maps() == [0]
        assert np.isfinite(a.conductance_map(0)[:4, :8]).all()
    with Archive(FIXTURES / "v1-train.h5") as a:
        assert a.schema_version == 1 and len(a.table("epochs")) == 4
        assert len(a.table("resumes")) == 0
