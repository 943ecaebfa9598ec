"""``labctl iv``: butterflies of single cells archived branch by branch, summarised by
``inspect``, drawn by ``plot``; bad requests refused before a bench is opened."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import labctl.backends
from labctl.archive import Archive
from protocols.iv import Branch
from tests.labctl.cli_runner import run_cli


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("iv") / "iv.h5"
    code, text = run_cli("iv", "--rows", "2:4", "--cols", "5:8", "--cycles", "2", "--out",
                         str(out), "--plot")
    assert code == 0, text
    return out, text


def test_every_branch_of_every_cell_is_archived_in_order(swept: tuple[Path, str]) -> None:
    out, text = swept
    assert "I-V: 6 cells, 2 cycles" in text and out.with_suffix(".png").stat().st_size > 20_000
    with Archive(out) as archive:
        assert archive.kind == "iv" and archive.status == "complete"
        points, switching = archive.table("points"), archive.table("switching")
    pristine = switching["branch"] == Branch.FORM
    assert pristine.sum() >= 5  # a fresh simulated array: (nearly) every cell is pristine
    assert (switching["branch"] != Branch.FORM).sum() == 6 * 2 * 2
    assert set(zip(switching["row"].tolist(), switching["col"].tolist(), strict=True)) == {
        (r, c) for r in (2, 3) for c in (5, 6, 7)}
    resets = points[points["branch"] == Branch.RESET]
    assert resets["v"].max() <= 0 and resets["v"].min() == pytest.approx(-2.0)
    sets = points[points["branch"] == Branch.SET]
    assert sets["v"].min() >= 0 and sets["v"].max() == pytest.approx(1.5)
    # SET is compliance-limited by the 1.2 V gate: I_CC = 80 uA (0.65)^1.5 = 41.9 uA
    assert np.abs(sets["i"]).max() == pytest.approx(80e-6 * 0.65**1.5, rel=1e-6)


def test_the_switching_figures_are_those_of_the_device_model(swept: tuple[Path, str]) -> None:
    out, _ = swept
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    s = json.loads(text)
    assert s["kind"] == "iv" and s["cells"] == 6 and s["set_yield"] > 0.9
    assert 0.3 < s["v_set"]["median"] < 1.0        # v_set 1.0 V at 1 us, lower for 8 ms steps
    assert 2.4 < s["v_form"]["median"] < 3.2       # v_form 3.0 V, likewise
    assert 5e3 < s["r_on"]["median"] < 2e4         # 1 / (I_CC / V0) = 9.5 kOhm
    assert s["on_off_ratio"]["median"] > 10
    code, text = run_cli("plot", str(out), "--out", str(out.with_name("again.png")))
    assert code == 0 and out.with_name("again.png").stat().st_size > 20_000, text


@pytest.mark.parametrize(("args", "message"), [
    (["--step", "0"], "step must be above 0"),
    (["--step", "-0.1"], "step must be above 0"),
    (["--v-form", "4.5"], "beyond the setup's limit"),
    (["--v-reset", "3.8"], "source line"),
    (["--compliance", "0.01"], "compliance_current_max"),
    (["--cells", "3:200"], "outside the chip"),
    (["--cells", "3-4"], "is not ROW:COL"),
    (["--rows", "0:200"], "outside the array"),
    (["--backend", "chip"], "needs --setup"),
])
def test_a_bad_request_is_refused_before_anything_is_sent(
        args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent: list[str] = []
    real = labctl.backends.simulated_bench

    def watched(sim, limits=labctl.backends.MOCK_LIMITS):  # type: ignore[no-untyped-def]
        bench = real(sim, limits)
        for instrument in (bench.smu.inner, bench.pulse.inner):
            write = instrument.transport.write
            instrument.transport.write = lambda line, w=write: (sent.append(line), w(line))[1]
        sent.clear()
        return bench

    monkeypatch.setattr(labctl.backends, "simulated_bench", watched)
    code, text = run_cli("iv", "--rows", "0:1", "--cols", "0:2", *args,
                         "--out", str(tmp_path / "x.h5"))
    assert code != 0 and message in text, text
    assert len(text.strip().splitlines()) == 1, text
    assert not any("LIST" in line or "SOUR:VOLT" in line for line in sent), sent
