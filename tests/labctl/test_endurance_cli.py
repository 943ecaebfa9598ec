"""``labctl endurance``: a region cycled to failure on the simulated chip, archived point by
point, summarised by ``inspect`` with its Weibull fit, drawn by ``plot``; bad requests are
refused in one line before any pulse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import labctl.backends
from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli

SHORT_LIVED = "endurance_median=3000,endurance_sigma_ln=0.5"


@pytest.fixture(scope="module")
def cycled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("endurance") / "end.h5"
    code, text = run_cli("endurance", "--cycles", "1e5", "--rows", "0:6", "--cols", "0:6",
                         "--device", SHORT_LIVED, "--out", str(out), "--plot")
    assert code == 0, text
    return out, text


def test_every_cell_is_cycled_to_failure_and_archived(cycled) -> None:
    out, text = cycled
    assert "endurance: 36 cells" in text and "Weibull fit" in text
    assert out.with_suffix(".png").stat().st_size > 20_000
    with Archive(out) as archive:
        assert archive.kind == "endurance" and archive.status == "complete"
        table = archive.table("endurance")
    assert np.unique(table["cell"]).size == 36
    counts = np.bincount(table["cell"])
    assert counts[counts > 0].min() >= 3, "every cell read at its first point's 3 probes"


def test_inspect_fits_the_device_models_median_from_the_archive(cycled) -> None:
    out, _ = cycled
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    s = json.loads(text)
    assert s["failed"] == 36 and s["weibull"]["failures"] == 36
    assert s["weibull"]["median"] == pytest.approx(3000, rel=0.3)
    assert 1.0 < s["weibull"]["shape"] < 5.0
    assert s["read_points"][0]["cells"] == 36


def test_plot_redraws_the_figure(cycled, tmp_path: Path) -> None:
    out, _ = cycled
    png = tmp_path / "again.png"
    code, text = run_cli("plot", str(out), "--out", str(png))
    assert code == 0 and png.stat().st_size > 20_000, text


@pytest.mark.parametrize(("args", "message"), [
    (["--cycles", "lots"], "is not a whole number of cycles"),
    (["--cycles", "2.5"], "is not a whole number of cycles"),
    (["--cycles", "2"], "at least probe_cycles"),
    (["--width", "0"], "width must be"),
    (["--v-reset", "4.5"], "beyond the setup's limit"),
    (["--width", "50"], "pulse_width_max"),
    (["--probe-cycles", "0"], "--probe-cycles"),
    (["--cells", "3:200"], "outside the chip"),
    (["--rows", "0:200"], "outside the array"),
])
def test_a_bad_request_is_refused_before_any_pulse(
        args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent: list[str] = []
    real = labctl.backends.simulated_bench

    def watched(sim, limits=labctl.backends.MOCK_LIMITS):  # type: ignore[no-untyped-def]
        bench = real(sim, limits)
        write = bench.pulse.inner.transport.write
        bench.pulse.inner.transport.write = lambda line, w=write: (sent.append(line), w(line))[1]
        sent.clear()
        return bench

    monkeypatch.setattr(labctl.backends, "simulated_bench", watched)
    code, text = run_cli("endurance", "--rows", "0:1", "--cols", "0:2", *args,
                         "--out", str(tmp_path / "x.h5"))
    assert code != 0 and message in text, text
    assert len(text.strip().splitlines()) == 1, text
    assert "*TRG" not in sent, sent


def test_an_interrupted_run_leaves_an_archive_inspect_reads(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import protocols.endurance as endurance

    real = endurance._pulse_and_read
    calls = [0]

    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] > 6 * 5:  # five read points measured
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(endurance, "_pulse_and_read", dies)
    out = tmp_path / "cut.h5"
    code, text = run_cli("endurance", "--rows", "0:2", "--cols", "0:4", "--out", str(out))
    assert code != 0
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    s = json.loads(text)
    assert s["status"] == "interrupted" and len(s["read_points"]) == 5
    assert s["progress"].startswith(f"{s['read_points'][-1]['cycle']:,} of 1,000,000")
