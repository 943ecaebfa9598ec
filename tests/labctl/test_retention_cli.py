"""``labctl retention``: a region programmed and read at log-spaced times on the simulated
clock; the fitted relaxation is the device model's; bad requests are refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from drivers.errors import ConfigError
from labctl.archive import Archive
from labctl.durations import parse_duration
from mock_hw.params import DeviceModel
from tests.labctl.cli_runner import run_cli


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("retention") / "ret.h5"
    code, text = run_cli("retention", "--duration", "1d", "--reads", "16", "--out", str(out),
                         "--plot")
    assert code == 0, text
    return out, text


def test_read_backs_follow_the_schedule_on_the_simulated_clock(followed) -> None:
    out, text = followed
    assert "retention: 256 cells, 8 levels" in text
    assert out.with_suffix(".png").stat().st_size > 20_000
    with Archive(out) as archive:
        assert archive.kind == "retention" and archive.status == "complete"
        table = archive.table("retention")
        assert len(archive.table("writes")) == 256
    assert np.unique(table["read"]).size == 16 and len(table) == 16 * 256
    times = np.array([table["time"][table["read"] == r][0] for r in range(16)])
    np.testing.assert_allclose(times, np.geomspace(1, 86400, 16), rtol=1e-3)


@pytest.fixture(scope="module")
def followed_wide(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 64 x 64 region: the mean drift of its 4096 slopes has a standard error of
    sigma / 64 = 0.016 µS/decade, a sixth of the tolerance below; 256 cells (0.06 µS) cannot
    tell the model's -0.2 µS/decade within 50 % from noise."""
    out = tmp_path_factory.mktemp("retention") / "wide.h5"
    code, text = run_cli("retention", "--duration", "1d", "--reads", "16", "--rows", "0:64",
                         "--cols", "0:64", "--out", str(out))
    assert code == 0, text
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    return json.loads(text)


def test_the_fitted_relaxation_is_the_device_models(followed_wide) -> None:
    model = DeviceModel()
    fit = followed_wide["relaxation"]
    assert fit["cells"] > 4000
    assert fit["sigma_per_decade"] == pytest.approx(model.relax_sigma_per_decade, rel=0.1)
    assert fit["drift_per_decade"] == pytest.approx(model.relax_mu_per_decade, rel=0.3)
    assert followed_wide["readback_error"][0] < 0.01 < followed_wide["readback_error"][-1]
    assert followed_wide["error_passes"]["1%"] is not None


@pytest.mark.parametrize(("args", "message"), [
    (["--duration", "1 fortnight"], "is not a positive duration"),
    (["--duration", "-1h"], "is not a positive duration"),
    (["--duration", "0s"], "is not a positive duration"),
    (["--reads", "1"], "--reads"),
    (["--first", "2d"], "must come before the end"),
    (["--cells", "0:128"], "outside the chip"),
])
def test_a_bad_request_is_refused_in_one_line(args: list[str], message: str,
                                              tmp_path: Path) -> None:
    code, text = run_cli("retention", *args, "--out", str(tmp_path / "x.h5"))
    assert code == 2 and message in text, text
    assert len(text.strip().splitlines()) == 1 and not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800),
                                               ("1h", 3600), ("1.5d", 129600), ("1w", 604800),
                                               ("2e3s", 2000)])
def test_durations_read_as_a_lab_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text, "--duration") == seconds


def test_an_interrupted_run_leaves_an_archive_inspect_reads(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import labctl.characterization.retention as retention

    real = retention.follow

    def interrupted(schedule, elapsed, wait, read, on_read, start):  # type: ignore[no-untyped-def]
        def stop_after_three(index, at, g):  # type: ignore[no-untyped-def]
            on_read(index, at, g)
            if index == 2:
                raise KeyboardInterrupt

        real(schedule, elapsed, wait, read, stop_after_three, start)

    monkeypatch.setattr(retention, "follow", interrupted)
    out = tmp_path / "cut.h5"
    code, _ = run_cli("retention", "--rows", "0:4", "--cols", "0:4", "--out", str(out))
    assert code != 0
    code, text = run_cli("inspect", str(out), "--json")
    assert code == 0, text
    s = json.loads(text)
    assert s["status"] == "interrupted" and s["reads"] == 3
    assert s["progress"] == "3 of 20 read-backs"


def test_a_duration_must_parse_in_the_library_too() -> None:
    with pytest.raises(ConfigError, match="--after"):
        parse_duration("soon", "--after")


@pytest.mark.parametrize(("args", "message"), [
    (["--backend", "mock"], "--backend chip"),
    (["--backend", "chip"], "needs --setup"),
])
def test_only_a_bench_run_resumes(args: list[str], message: str, tmp_path: Path) -> None:
    code, text = run_cli("retention", "--resume", str(tmp_path / "x.h5"), *args)
    assert code == 2 and message in text, text
