"""labctl as a library: the public names, typed results with units, a bench that is always
left safe, and bad input refused before any pulse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import labctl
from drivers.errors import ConfigError
from labctl.bench import Bench


def test_program_then_read_a_region_on_one_bench(tmp_path: Path) -> None:
    with labctl.open_bench("mock", seed=3) as bench:
        programmed = labctl.program(bench, levels=4, rows="0:8", cols="0:8", wait=1.0,
                                    out=tmp_path / "p.h5")
        look = labctl.read(bench, rows="0:8", cols="0:8", out=tmp_path / "r.h5")
    assert isinstance(programmed, labctl.ProgramReport)
    assert programmed.cells == 64 and programmed.levels == 4
    delays = sorted(programmed.readback_error)  # right after, once more at once, after wait
    assert programmed.success_rate > 0.95 and delays[0] == 0.0 and delays[2] == 1.0
    assert len(delays) == 3 and 0 < delays[1] < 1e-3
    targets = [lv.target for lv in programmed.per_level]
    np.testing.assert_allclose(targets, np.linspace(10e-6, 120e-6, 4))
    assert sum(lv.cells for lv in programmed.per_level) == 64
    # the read sees what was programmed: every cell near one of the four targets
    assert isinstance(look, labctl.ReadReport) and look.conductance.shape == (8, 8)
    nearest = np.min(np.abs(look.conductance[..., None] - np.array(targets)), axis=-1)
    assert np.mean(nearest < 3 * programmed.tolerance) > 0.95
    tree = labctl.open_archive(programmed.archive)
    assert tree.attrs["kind"] == "program" and tree["writes"].sizes["write"] == 64
    assert labctl.open_archive(look.archive)["reads"]["g"].attrs["units"] == "S"


def test_the_bench_is_left_safe_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = Bench.make_safe
    monkeypatch.setattr(Bench, "make_safe", lambda self: (calls.append("safe"), real(self)))
    with pytest.raises(RuntimeError, match="analysis bug"), labctl.open_bench("mock"):
        raise RuntimeError("analysis bug")
    assert calls == ["safe"]


@pytest.mark.parametrize(("options", "message"), [
    ({"levels": 1}, "at least 2 levels"),
    ({"tolerance": -1e-6}, "--tolerance"),
    ({"rows": "0:300"}, "outside the array"),
    ({"pattern": "stripes"}, "--pattern"),
])
def test_bad_requests_are_refused_before_any_pulse(
        options: dict, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with labctl.open_bench("mock") as bench:
        monkeypatch.setattr(Bench, "form", lambda *_: pytest.fail("a cell was pulsed"))
        with pytest.raises(ConfigError, match=message):
            labctl.program(bench, **{"levels": 4, **options}, out=tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()


def test_train_returns_the_continual_learning_matrix(tmp_path: Path) -> None:
    result = labctl.train(hidden=[8], epochs=1, limit=256, out=tmp_path / "t.h5")
    assert isinstance(result, labctl.TrainResult)
    assert result.after_task.shape == (2, 2) and np.all((result.after_task > 0)
                                                        & (result.after_task <= 1))
    assert labctl.open_archive(tmp_path / "t.h5").attrs["status"] == "complete"
    with pytest.raises(ConfigError, match="--levels"):
        labctl.train(levels=1, out=tmp_path / "bad.h5")


def test_the_public_names_are_documented() -> None:
    for name in labctl.__all__:
        assert getattr(labctl, name).__doc__, f"labctl.{name} has no docstring"
