"""``labctl read``: one read of a region, archived as a table and a map that agree, summarised
by ``inspect`` and drawn by ``plot``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import labctl.backends
from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli


def test_a_region_is_read_once_into_a_table_and_a_map(tmp_path: Path) -> None:
    out = tmp_path / "look.h5"
    code, text = run_cli("read", "--rows", "4:20", "--cols", "100:128", "--out", str(out),
                         "--plot")
    assert code == 0, text
    assert "448 cells read" in text and out.with_suffix(".png").stat().st_size > 10_000
    with Archive(out) as archive:
        assert archive.kind == "read" and archive.status == "complete"
        reads = archive.table("reads")
        conductance = archive.conductance_map(0)
        assert archive.config["v_read"] > 0
    assert len(reads) == 16 * 28 and len(np.unique(reads["cell"])) == len(reads)
    assert reads["row"].min() == 4 and reads["row"].max() == 19
    assert reads["col"].min() == 100 and reads["col"].max() == 127
    np.testing.assert_array_equal(conductance[reads["row"], reads["col"]], reads["g"])
    assert np.isnan(conductance).sum() == 128 * 128 - len(reads)
    # a pristine simulated array: almost every cell reads near zero, a few defects do not
    assert np.median(np.abs(reads["g"])) < 1e-6


def test_inspect_and_plot_read_the_archive_back(tmp_path: Path) -> None:
    out = tmp_path / "look.h5"
    assert run_cli("read", "--rows", "0:8", "--cols", "0:8", "--out", str(out))[0] == 0
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    summary = json.loads(text)
    assert summary["kind"] == "read" and summary["cells"] == 64
    with Archive(out) as archive:
        g = archive.table("reads")["g"]
    assert summary["g_median"] == pytest.approx(float(np.median(g)))
    code, text = run_cli("plot", str(out), "--out", str(tmp_path / "again.png"))
    assert code == 0, text
    assert (tmp_path / "again.png").stat().st_size > 10_000


@pytest.mark.parametrize(("args", "message"), [
    (["--rows", "0:200"], "outside the array"),
    (["--tile", "1"], "outside the chip"),
    (["--cols", "9:3"], "--cols"),
    (["--backend", "chip"], "needs --setup"),
])
def test_a_bad_region_is_refused_before_any_bench_is_opened(
        args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_bench(*_: object, **__: object) -> None:
        raise AssertionError("a bench was opened for a bad request")

    monkeypatch.setattr(labctl.backends, "open_bench", no_bench)
    code, text = run_cli("read", *args, "--out", str(tmp_path / "x.h5"))
    assert code == 2 and message in text, text
    assert not (tmp_path / "x.h5").exists()
