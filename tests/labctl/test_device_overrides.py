"""``--device NAME=VALUE,...``: the simulated chip's physics changed parameter by parameter,
checked against the device model, refused off the mock, recorded in the run's config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.errors import ConfigError
from labctl.device_model import parse_overrides, simulated_model
from labctl.learning.backends import make_weight_store
from labctl.learning.config import TrainConfig
from labctl.sweep import plan_sweep, spec_from
from tests.labctl.cli_runner import run_cli


def test_overrides_parse_into_the_model():
    overrides = parse_overrides("read_rel_sigma=0.02, stuck_lrs_fraction=0.01")
    assert overrides == {"read_rel_sigma": 0.02, "stuck_lrs_fraction": 0.01}
    model = simulated_model(overrides, tiles=3, formed=True)
    assert (model.read_rel_sigma, model.stuck_lrs_fraction, model.tiles) == (0.02, 0.01, 3)
    assert model.stuck_hrs_fraction == 0.0015 and model.formed_at_start
    assert parse_overrides(None) == {} and parse_overrides("") == {}


@pytest.mark.parametrize(("text", "message"), [
    ("read_rel_sigma", "'read_rel_sigma' is not NAME=VALUE"),
    ("read_rel_sigma=much", "'much' is not a number"),
    ("read_noise=0.02", "unknown parameter 'read_noise'; the device model's parameters: v_th"),
    ("tiles=4", "tiles is set by the run"),
    ("v_abs_max=9", "v_abs_max is one of the chip's absolute maximum ratings"),
    ("read_rel_sigma=0.9", "read_rel_sigma: Input should be less than or equal to 0.5"),
    ("read_rel_sigma=nan", "read_rel_sigma: Input should be a finite number"),
    ("stuck_lrs_fraction=0.6,stuck_hrs_fraction=0.6", "must not exceed 1"),
])
def test_bad_overrides_are_one_line(text: str, message: str):
    with pytest.raises(ConfigError, match=message) as err:
        parse_overrides(text)
    assert str(err.value).startswith("invalid --device: ") and "\n" not in str(err.value)


def test_a_training_run_takes_overrides_on_the_mock_only():
    with pytest.raises(ConfigError, match=r"^--device and --device-model set the physics"):
        TrainConfig.build(backend="software", device={"read_rel_sigma": 0.02})
    with pytest.raises(ConfigError, match="invalid --device: unknown parameter 'noise'"):
        TrainConfig.build(backend="mock", device={"noise": 0.02})
    config = TrainConfig.build(backend="mock", hidden=[8], device={"read_rel_sigma": 0.03})
    store = make_weight_store(config)
    try:
        assert store.bench.simulation.model.read_rel_sigma == 0.03
    finally:
        store.close()


def test_a_programming_run_on_a_noisier_chip_records_it(tmp_path: Path):
    out = {}
    for name, device in (("default", []), ("noisy", ["--device", "read_rel_sigma=0.2"])):
        path = tmp_path / f"{name}.h5"
        code, text = run_cli("program", "--rows", "0:8", "--cols", "0:8", "--wait", "0",
                             *device, "--out", str(path))
        assert code == 0, text
        code, text = run_cli("inspect", str(path), "--json")
        out[name] = json.loads(text)
    assert out["noisy"]["config"]["device"] == {"read_rel_sigma": 0.2}
    assert out["default"]["config"]["device"] == {}
    assert out["noisy"]["success_rate"] < out["default"]["success_rate"] - 0.3
    code, text = run_cli("program", "--backend", "chip", "--setup", "x.toml", "--device",
                         "read_rel_sigma=0.2")
    assert code == 2 and "need --backend mock" in text


def test_a_sweep_varies_the_device_model(tmp_path: Path):
    plan = plan_sweep(spec_from({"command": "train", "options": {"backend": "mock"},
                                 "grid": {"device": [{"read_rel_sigma": 0.005},
                                                     {"read_rel_sigma": 0.04}]}}), tmp_path)
    assert [r.config["device"] for r in plan.runs] == [{"read_rel_sigma": 0.005},
                                                       {"read_rel_sigma": 0.04}]
    assert len({r.key for r in plan.runs}) == 2
    with pytest.raises(ConfigError, match=r"grid point 1 \(device=.*\): invalid --device"):
        plan_sweep(spec_from({"command": "train", "options": {"backend": "mock"},
                              "grid": {"device": [{}, {"read_rel_sigma": 2.0}]}}), tmp_path)
