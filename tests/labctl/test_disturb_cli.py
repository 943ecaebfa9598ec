"""``labctl disturb``: a programmed region, half of it stressed, archived read-back by
read-back, summarised by ``inspect`` and drawn by ``plot``; bad requests refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("disturb") / "dc.h5"
    code, text = run_cli("disturb", "--stress", "dc", "--amount", "1d", "--v-stress", "0.6",
                         "--points", "4", "--rows", "0:4", "--cols", "0:8", "--out", str(out),
                         "--plot")
    assert code == 0, text
    return out, text


def test_half_the_region_is_stressed_and_every_cell_read_back(stressed) -> None:
    out, text = stressed
    assert "disturb: 16 cells stressed (dc), 16 controls" in text
    assert out.with_suffix(".png").stat().st_size > 20_000
    with Archive(out) as archive:
        assert archive.kind == "disturb" and archive.status == "complete"
        table = archive.table("disturb")
        assert len(archive.table("writes")) == 32
    assert np.unique(table["point"]).size == 5 and len(table) == 5 * 32
    np.testing.assert_array_equal(table["stressed"], table["cell"] % 2 == 0)


def test_inspect_shows_the_disturb_beyond_relaxation(stressed) -> None:
    out, _ = stressed
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    s = json.loads(text)
    last = s["read_backs"][-1]
    assert last["stress"] == pytest.approx(86_400.0)
    assert last["disturb"] > 30e-6 and abs(last["drift_control"]) < 5e-6
    assert last["moved_stressed"] > last["moved_control"]
    code, text = run_cli("plot", str(out), "--out", str(out.with_name("again.png")))
    assert code == 0, text


def test_a_read_stress_counts_reads(tmp_path: Path) -> None:
    out = tmp_path / "reads.h5"
    code, text = run_cli("disturb", "--amount", "300", "--points", "3", "--rows", "0:2",
                         "--cols", "0:4", "--out", str(out))
    assert code == 0, text
    code, text = run_cli("inspect", str(out), "--json")
    s = json.loads(text)
    assert [p["stress"] for p in s["read_backs"]] == [0, 1, 17, 300]
    assert abs(s["read_backs"][-1]["disturb"]) < 2e-6


@pytest.mark.parametrize(("args", "message"), [
    (["--stress", "heat"], "is neither reads nor dc"),
    (["--amount", "many"], "is not a whole number of reads"),
    (["--amount", "0.5"], "is not a whole number of reads"),
    (["--stress", "dc", "--amount", "a while"], "is not a positive duration"),
    (["--first", "1e6"], "must come before the end"),
    (["--stress", "dc", "--v-stress", "4.5"], "beyond the setup's limit"),
    (["--cells", "3:200"], "outside the chip"),
])
def test_a_bad_request_is_refused_in_one_line(args: list[str], message: str,
                                              tmp_path: Path) -> None:
    code, text = run_cli("disturb", "--rows", "0:1", "--cols", "0:2", *args,
                         "--out", str(tmp_path / "x.h5"))
    assert code != 0 and message in text, text
    assert len(text.strip().splitlines()) == 1, text
