"""``labctl calibrate``: a program archive of a mock chip with a known, non-default device
model gives that model back within the uncertainties it reports, as a file that
``--device-model`` takes; what an archive cannot give is named, not guessed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labctl.archive import Archive
from labctl.calibration import calibrate
from labctl.device_model import load_model
from mock_hw.presets import PRESETS
from tests.labctl.cli_runner import run_cli

TRUE = PRESETS["noisy"].model()


@pytest.fixture(scope="module")
def noisy_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calibrate") / "noisy.h5"
    code, text = run_cli("program", "--device-model", "noisy", "--rows", "0:64", "--cols",
                         "0:64", "--seed", "3", "--out", str(out))
    assert code == 0, text
    return out


def test_the_fit_recovers_the_chips_model_within_its_uncertainty(noisy_archive: Path) -> None:
    with Archive(noisy_archive) as archive:
        result = calibrate(archive)
    fitted = {e.name: e for e in result.estimates}
    for name in ("read_rel_sigma", "read_abs_sigma", "relax_mu_per_decade",
                 "relax_sigma_per_decade", "stuck_lrs_fraction", "stuck_hrs_fraction", "v0",
                 "reset_depth_max", "v_gate_reset_full"):
        e = fitted[name]
        assert abs(e.value - getattr(TRUE, name)) <= 3 * e.uncertainty, (name, e)
        assert e.uncertainty > 0 and e.parameter
    assert not fitted["programming_error_L0"].parameter
    assert not result.unfitted


def test_calibrate_writes_a_model_file_that_programs_a_chip(noisy_archive: Path,
                                                            tmp_path: Path) -> None:
    model = tmp_path / "chip.toml"
    code, text = run_cli("calibrate", str(noisy_archive), "--out", str(model))
    assert code == 0, text
    assert "read_rel_sigma" in text and "relax_sigma_per_decade" in text
    fields = load_model(str(model))
    assert fields["read_rel_sigma"] == pytest.approx(TRUE.read_rel_sigma, rel=0.1)
    assert 'archive_sha256 = "' in model.read_text()
    code, text = run_cli("program", "--device-model", str(model), "--rows", "0:8", "--cols",
                         "0:8", "--wait", "0", "--out", str(tmp_path / "twin.h5"))
    assert code == 0, text


def test_stuck_cells_in_the_gate_sample_do_not_bias_the_reset_fit(tmp_path: Path) -> None:
    """On an array with 10 % stuck cells the sampled cells that never switch are left out:
    with them the fitted RESET depth came out a third low."""
    out = tmp_path / "faulty.h5"
    code, text = run_cli("program", "--device-model", "faulty", "--rows", "0:64", "--cols",
                         "0:64", "--seed", "3", "--out", str(out))
    assert code == 0, text
    with Archive(out) as archive:
        fitted = {e.name: e for e in calibrate(archive).estimates}
    assert abs(fitted["reset_depth_max"].value - TRUE.reset_depth_max) < 0.05


def _programmed_with_reset_full_at(v_gate: float, seed: int, folder: Path) -> Path:
    """A program archive of 16 x 64 cells of a chip whose RESET is fully driven from
    ``v_gate`` (V)."""
    model = folder / "chip.toml"
    model.write_text(f"[model]\nv_gate_reset_full = {v_gate}\n")
    out = folder / "chip.h5"
    code, text = run_cli("program", "--device-model", str(model), "--rows", "0:16", "--cols",
                         "0:64", "--seed", str(seed), "--wait", "0", "--out", str(out))
    assert code == 0, text
    return out


def test_the_reset_gate_sweep_gives_where_reset_stops_being_transistor_limited(
        tmp_path: Path) -> None:
    """A chip whose RESET is fully driven from 2.0 V (the default 2.5 V) gives 2.0 V back
    within the uncertainty the fit reports, and the sweep rises to a plateau there."""
    with Archive(_programmed_with_reset_full_at(2.0, 5, tmp_path)) as archive:
        sweep = archive.table("reset_response")
        fitted = {e.name: e for e in calibrate(archive).estimates}
    removed = 1 - sweep["g_reset"] / sweep["g_set"]
    low, high = (removed[sweep["gate"] == g].mean() for g in (sweep["gate"].min(), 2.7))
    assert low < 0.3 * high
    e = fitted["v_gate_reset_full"]
    assert abs(e.value - 2.0) <= 3 * e.uncertainty and 0 < e.uncertainty < 0.15, e


def test_a_reset_sweep_that_never_reaches_full_drive_names_what_it_cannot_fit(
        tmp_path: Path) -> None:
    with Archive(_programmed_with_reset_full_at(3.5, 1, tmp_path)) as archive:
        result = calibrate(archive)
    assert "drives RESET fully" in result.unfitted["RESET response to the gate"]
    assert "v_gate_reset_full" not in {e.name for e in result.estimates}


def test_an_unwritable_model_file_is_one_line(noisy_archive: Path, tmp_path: Path) -> None:
    code, text = run_cli("calibrate", str(noisy_archive), "--out",
                         str(tmp_path / "missing" / "m.toml"))
    assert code == 2 and "cannot write" in text and "Traceback" not in text


def test_an_archive_of_another_kind_is_refused_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "read.h5"
    assert run_cli("read", "--rows", "0:4", "--cols", "0:4", "--out", str(out))[0] == 0
    code, text = run_cli("calibrate", str(out), "--out", str(tmp_path / "m.toml"))
    assert code == 2 and "not a program one" in text and len(text.strip().splitlines()) == 1
    assert not (tmp_path / "m.toml").exists()


class _OldArchive:
    """A program archive as labctl wrote it before calibrate: one read-back, then the wait,
    and no gate calibration readings."""

    kind = "program"

    def __init__(self, source: Archive) -> None:
        self.path = source.path
        self.array = source.array
        verify = source.table("verify")
        self.tables = {"levels": source.table("levels"), "writes": source.table("writes"),
                       "verify": verify[np.isin(verify["delay"], [0.0, verify["delay"].max()])]}

    def table(self, name: str) -> np.ndarray:
        from labctl.archive.errors import ArchiveError

        if name not in self.tables:
            raise ArchiveError(f"{self.path} has no table {name}")
        return self.tables[name]


def test_what_an_older_archive_cannot_give_is_named_and_the_rest_fitted(noisy_archive: Path
                                                                        ) -> None:
    with Archive(noisy_archive) as archive:
        result = calibrate(_OldArchive(archive))  # type: ignore[arg-type]
    assert set(result.unfitted) == {"read noise", "relaxation spread", "programming error",
                                    "SET response to the gate", "RESET response",
                                    "RESET response to the gate"}
    fitted = {e.name: e for e in result.estimates}
    assert {"stuck_lrs_fraction", "stuck_hrs_fraction", "pulses_per_write"} <= set(fitted)
    assert not {"read_rel_sigma", "relax_sigma_per_decade", "v0"} & set(fitted)
    drift = fitted["relax_mu_per_decade"]
    assert abs(drift.value - TRUE.relax_mu_per_decade) <= 3 * drift.uncertainty
