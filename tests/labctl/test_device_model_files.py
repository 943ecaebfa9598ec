"""``--device-model PRESET|FILE``: named presets and device-model files, the latter as
``labctl calibrate`` writes them, accepted wherever the simulated chip's model is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import ConfigError
from labctl.device_model import device_overrides, load_model, write_model
from mock_hw.params import DeviceModel
from mock_hw.presets import PRESETS
from tests.labctl.cli_runner import run_cli


def test_every_preset_is_a_valid_model_that_names_its_sources() -> None:
    assert "typical" in PRESETS and not PRESETS["typical"].fields
    assert len([p for p in PRESETS.values() if p.fields]) >= 2
    for preset in PRESETS.values():
        model = preset.model(rows=8, cols=8)
        assert isinstance(model, DeviceModel) and preset.sources and preset.fitted_range
        assert all(getattr(model, name) == value for name, value in preset.fields.items())
    assert PRESETS["noisy"].model().read_rel_sigma > PRESETS["quiet"].model().read_rel_sigma


def test_a_written_model_file_loads_back_and_device_overrides_win(tmp_path: Path) -> None:
    path = tmp_path / "chip.toml"
    fields = {"read_rel_sigma": 0.0123, "relax_mu_per_decade": -3.1e-7, "v0": 0.37}
    write_model(path, fields, {"read_rel_sigma": 0.0004},
                {"archive": 'runs/a "quoted" name.h5', "cells": "16384"}, preset="noisy")
    loaded = load_model(str(path))
    assert loaded == {**PRESETS["noisy"].fields, **fields}
    both = device_overrides(str(path), "v0=0.41")
    assert both["v0"] == 0.41 and both["read_rel_sigma"] == 0.0123


@pytest.mark.parametrize(("text", "message"), [
    ("[model]\nread_rel_sigma = 0.9\n", "read_rel_sigma: Input should be less than"),
    ("[model]\nread_noise = 0.01\n", "unknown parameter 'read_noise'"),
    ("[model]\nrows = 64\n", "rows is set by the run"),
    ("preset = 'shiny'\n", "preset 'shiny' is not one of typical"),
    ("[modle]\nv0 = 0.4\n", "unknown key 'modle'"),
    ("[model\nv0 = 0.4\n", "not a readable TOML file"),
    ("model = 3\n", "model must be a table"),
])
def test_a_bad_model_file_is_one_line_naming_the_file(tmp_path: Path, text: str,
                                                      message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_model(str(path))
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_an_unknown_preset_or_missing_file_names_the_presets() -> None:
    with pytest.raises(ConfigError, match=r"neither a preset \(typical, quiet, noisy, faulty\)"):
        load_model("no-such-model")


def test_program_runs_on_a_preset_and_records_its_fields(tmp_path: Path) -> None:
    out = tmp_path / "p.h5"
    code, text = run_cli("program", "--device-model", "faulty", "--rows", "0:16", "--cols",
                         "0:16", "--wait", "0", "--out", str(out))
    assert code == 0, text
    code, text = run_cli("inspect", str(out), "--json")
    assert '"stuck_lrs_fraction": 0.05' in text


def test_a_device_model_off_the_mock_is_refused_before_any_instrument() -> None:
    code, text = run_cli("program", "--backend", "chip", "--setup",
                         "data/setups/mock-server.toml", "--device-model", "noisy")
    assert code == 2 and "need --backend mock" in text
