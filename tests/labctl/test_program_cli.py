"""``labctl program`` / ``inspect`` / ``plot`` on the mock backend, and refusals of bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import h5py
import pytest

import labctl.backends
from drivers.fpga.writeverify import Scheme, WriteVerifyParams
from labctl.programming import ProgramConfig
from tests.labctl.cli_runner import run_cli as _run


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("program") / "run.h5"
    code, text = _run("program", "--levels", "4", "--rows", "0:16", "--cols", "0:32",
                      "--pattern", "ramp", "--seed", "3", "--out", str(out), "--plot")
    assert code == 0, text
    assert "read-back error" in text
    return out


def test_program_archives_every_cell_and_summarises_it(archive: Path) -> None:
    code, text = _run("inspect", str(archive), "--json")
    assert code == 0, text
    s = json.loads(text)
    assert s["kind"] == "program" and s["status"] == "complete" and s["cells"] == 512
    assert s["success_rate"] >= 0.97
    assert s["readback_error"]["0"] <= 0.03
    assert s["pulses_mean"] < 25
    assert [lv["cells"] for lv in s["per_level"]] == [128] * 4
    for lv in s["per_level"]:
        assert abs(lv["g_mean"] - lv["target"]) < 1e-6
    assert archive.with_suffix(".png").stat().st_size > 10_000


def test_plot_remakes_the_figure(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.png"
    code, text = _run("plot", str(archive), "--out", str(out))
    assert code == 0, text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--levels", "1"], "at least 2 levels"),
    (["--levels", "40"], "too close"),
    (["--rows", "0:200"], "outside the array"),
    (["--tile", "3"], "outside the chip"),
    (["--backend", "fpga"], "unknown backend"),
    (["--backend", "chip"], "needs --setup"),
    (["--pattern", "stripes"], "pattern"),
    (["--max-pulses", "0"], "--max-pulses"),
    (["--scheme", "ramp"], "--scheme"),
])
def test_bad_requests_stop_before_any_instrument_is_opened(
        args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_bench(*_: object, **__: object) -> None:
        raise AssertionError("a bench was opened for a bad request")

    monkeypatch.setattr(labctl.backends, "open_bench", no_bench)
    code, text = _run("program", *args, "--out", str(tmp_path / "x.h5"))
    assert code != 0
    assert message in text
    assert "Traceback" not in text
    assert not (tmp_path / "x.h5").exists()


def test_write_verify_options_override_the_setup_and_default_to_it() -> None:
    setup = WriteVerifyParams(scheme=Scheme.ISPVA, max_pulses=80, reads=3, confirm=False,
                              wait=2.0)
    assert ProgramConfig().write_verify(setup) == setup
    given = ProgramConfig(scheme="igvva", max_pulses=20, verify_wait=0.0)
    assert given.write_verify(setup) == replace(setup, scheme=Scheme.IGVVA, max_pulses=20,
                                                wait=0.0)
    archived = given.on_bench(setup)  # what the archive records: every option spelled out
    assert (archived.scheme, archived.max_pulses, archived.reads, archived.confirm,
            archived.verify_wait) == ("igvva", 20, 3, False, 0.0)


def test_inspect_refuses_foreign_and_missing_files(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = [1, 2, 3]
    code, text = _run("inspect", str(foreign))
    assert code != 0 and "not a labctl archive" in text
    code, text = _run("inspect", str(tmp_path / "none.h5"))
    assert code != 0 and "no such file" in text
