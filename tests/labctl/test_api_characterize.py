"""The characterization procedures as library calls: typed results with units, one bench
used for all of them, bad requests refused before any pulse."""

from __future__ import annotations

from pathlib import Path

import pytest

import labctl
from drivers.errors import ConfigError, SafetyError


def test_a_lab_characterizes_a_chip_from_python(tmp_path: Path) -> None:
    with labctl.open_bench("mock", seed=2) as bench:
        curves = labctl.iv(bench, rows="0:2", cols="0:2", cycles=2, out=tmp_path / "iv.h5")
        held = labctl.retention(bench, rows="4:8", cols="0:8", duration=3600.0, reads=6,
                                out=tmp_path / "ret.h5")
        life = labctl.endurance(bench, rows="10:12", cols="0:8", cycles=10_000,
                                out=tmp_path / "end.h5")
        stressed = labctl.disturb(bench, rows="14:16", cols="0:8", amount=100.0, points=2,
                                  out=tmp_path / "dis.h5")
    assert isinstance(curves, labctl.IVReport) and curves.cells == 4
    assert curves.set_yield == 1.0 and 0.3 < curves.v_set.median < 1.2  # V
    assert curves.r_off.median > curves.r_on.median  # Ω
    assert isinstance(held, labctl.RetentionReport) and len(held.times) == 6
    assert held.times[-1] == pytest.approx(3600.0, rel=1e-3)
    assert isinstance(life, labctl.EnduranceReport) and life.cells == 16
    assert life.cycles_reached == 10_000 and life.failed <= 2
    assert isinstance(stressed, labctl.DisturbReport) and stressed.stressed == 8
    assert [p.stress for p in stressed.points] == [0.0, 1.0, 100.0]
    for report in (curves, held, life, stressed):
        assert report.archive.exists()


def test_bad_requests_raise_before_anything_reaches_the_chip(tmp_path: Path) -> None:
    with labctl.open_bench("mock", seed=2) as bench:
        with pytest.raises(ConfigError, match="--rows"):
            labctl.endurance(bench, rows="0:999", out=tmp_path / "a.h5")
        with pytest.raises(SafetyError):
            labctl.endurance(bench, v_reset=4.5, rows="0:1", cols="0:1",
                             out=tmp_path / "b.h5")
        assert bench.simulation is not None
        assert int(bench.simulation.writes.sum()) == 0
