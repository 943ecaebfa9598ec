"""A sweep spec becomes runs: the grid's product, zipped axes, stable names, and every bad
spec refused in one line before any run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import ConfigError
from labctl.sweep import load_spec, plan_sweep, spec_from


def _plan(tmp_path: Path, **tables):
    return plan_sweep(spec_from({"command": "train", **tables}), tmp_path)


def test_grid_is_the_product_of_its_axes_and_zip_groups(tmp_path: Path):
    plan = _plan(tmp_path, options={"limit": 100}, grid={"seed": [0, 1], "meta": [2.0, 3.0]},
                 zip=[{"lr": [0.005, 0.01], "lr-warmup": [0.5, 0.0]}])
    points = [r.point for r in plan.runs]
    assert len(points) == 8
    assert points[0] == {"seed": 0, "meta": 2.0, "lr": 0.005, "lr_warmup": 0.5}
    assert points[1] == {"seed": 0, "meta": 2.0, "lr": 0.01, "lr_warmup": 0.0}
    assert points[-1] == {"seed": 1, "meta": 3.0, "lr": 0.01, "lr_warmup": 0.0}
    assert [r.position for r in plan.runs][:3] == [(0, 0, 0), (0, 0, 1), (0, 1, 0)]
    run = plan.runs[5]
    assert (run.config["seed"], run.config["meta"], run.config["lr"]) == (1, 2.0, 0.01)
    assert run.config["limit"] == 100 and run.config["lr_warmup"] == 0.0


def test_runs_are_named_by_a_stable_hash_of_their_config(tmp_path: Path):
    a = _plan(tmp_path, options={"limit": 100, "epochs": 1}, grid={"seed": [0, 1]})
    b = _plan(tmp_path, options={"epochs": 1, "limit": 100}, grid={"seed": [1, 0]})
    assert {r.key for r in a.runs} == {r.key for r in b.runs}
    assert a.runs[0].archive == tmp_path.resolve() / "runs" / f"train-{a.runs[0].key}.h5"
    c = _plan(tmp_path, options={"limit": 101, "epochs": 1}, grid={"seed": [0, 1]})
    assert not {r.key for r in a.runs} & {r.key for r in c.runs}
    assert a.spec.identity != c.spec.identity


def test_a_run_uses_one_thread_unless_the_spec_says(tmp_path: Path):
    assert _plan(tmp_path, grid={"seed": [0]}).runs[0].config["threads"] == 1
    assert _plan(tmp_path, options={"threads": 2}, grid={"seed": [0]}).runs[0].config[
        "threads"] == 2


def test_list_options_take_the_command_lines_spelling(tmp_path: Path):
    plan = _plan(tmp_path, grid={"hidden": ["256,128", [64]]})
    assert [r.config["hidden"] for r in plan.runs] == [[256, 128], [64]]


def test_train_tolerance_is_in_the_command_lines_units(tmp_path: Path):
    plan = _plan(tmp_path, options={"backend": "mock"}, grid={"tolerance": [1.0, 4]})
    assert [r.config["tolerance"] for r in plan.runs] == pytest.approx([1e-6, 4e-6])


def test_program_options_are_in_the_command_lines_units(tmp_path: Path):
    plan = plan_sweep(spec_from({"command": "program", "options": {"rows": "0:4",
                                                                   "cols": "0:4"},
                                 "grid": {"g_max": [100.0, 120.0]}}), tmp_path)
    assert [r.config["g_max"] for r in plan.runs] == pytest.approx([100e-6, 120e-6])
    assert plan.runs[0].config["backend"] == "mock"


@pytest.mark.parametrize(("tables", "message"), [
    ({"grid": {}}, "the sweep's grid is empty"),
    ({"grid": {"seed": []}}, "grid axis 'seed' has no values"),
    ({"zip": [{"lr": [0.1, 0.2], "meta": [1.0]}]}, "one length; it has lr (2), meta (1)"),
    ({"zip": [{"lr": [0.1]}]}, "needs two or more"),
    ({"options": {"seed": 1}, "grid": {"seed": [0, 1]}},
     "'seed' is both a base option and a grid axis"),
    ({"grid": {"lr": [0.1]}, "zip": [{"lr": [0.1], "meta": [1.0]}]},
     "'lr' is on two axes"),
    ({"options": {"speed": 2}, "grid": {"seed": [0]}}, "train has no option 'speed'"),
    ({"options": {"out": "x.h5"}, "grid": {"seed": [0]}}, "'out' is set by the sweep"),
    ({"grid": {"seed": [0], "meta": [2.0, -1.0]}},
     "grid point 1 (seed=0, meta=-1): invalid --meta"),
    ({"grid": {"seed": [0, 0]}}, "resolves to the same run as another point"),
    ({"grid": {"seed": [0]}, "extra": 1}, "extra: Extra inputs are not permitted"),
    ({"options": {"backend": "mock"}, "grid": {"device.read_noise": [0.01]}},
     "grid point 0 (device.read_noise=0.01): invalid --device: unknown parameter 'read_noise'"),
    ({"options": {"backend": "mock"}, "grid": {"device.read_rel_sigma": [0.01, 0.9]}},
     "grid point 1 (device.read_rel_sigma=0.9): invalid --device: read_rel_sigma: Input"),
    ({"options": {"backend": "mock", "device": {"read_rel_sigma": 0.02}},
      "grid": {"device": [{"stuck_lrs_fraction": 0.01}]}},
     "'device' is given whole and by its entry 'device.read_rel_sigma'"),
    ({"grid": {"speed.x": [1]}}, "train has no option 'speed'"),
])
def test_bad_specs_are_refused_in_one_line(tmp_path: Path, tables: dict, message: str):
    with pytest.raises(ConfigError) as err:
        plan_sweep(spec_from({"command": "train", **tables}), tmp_path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_a_device_parameter_is_an_axis_of_its_own(tmp_path: Path):
    spec = tmp_path / "imperfections.toml"
    spec.write_text('command = "train"\n[options]\nbackend = "mock"\n'
                    'device = { stuck_hrs_fraction = 0.01 }\n'
                    '[grid]\ndevice.read_rel_sigma = [0.005, 0.02]\n')
    plan = plan_sweep(load_spec(spec), tmp_path)
    assert plan.spec.axes == ["device.read_rel_sigma"]
    assert [r.point for r in plan.runs] == [{"device.read_rel_sigma": 0.005},
                                            {"device.read_rel_sigma": 0.02}]
    assert [r.config["device"] for r in plan.runs] == [
        {"stuck_hrs_fraction": 0.01, "read_rel_sigma": 0.005},
        {"stuck_hrs_fraction": 0.01, "read_rel_sigma": 0.02}]
    whole = plan_sweep(spec_from({"command": "train", "options": {"backend": "mock"}, "grid": {
        "device": [{"read_rel_sigma": 0.005, "stuck_hrs_fraction": 0.01}]}}), tmp_path)
    assert whole.runs[0].key == plan.runs[0].key


def test_an_unknown_command_names_the_ones_there_are(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot run command 'calibrate': use one of "
                                          "train, program"):
        plan_sweep(spec_from({"command": "calibrate", "grid": {"seed": [0]}}), tmp_path)


def test_a_program_region_outside_the_array_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"grid point 1 \(rows=0:200\)"):
        plan_sweep(spec_from({"command": "program", "grid": {"rows": ["0:4", "0:200"]}}),
                   tmp_path)


def test_spec_files_that_cannot_be_read_are_one_line(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such sweep spec"):
        load_spec(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("command = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_spec(bad)
    good = tmp_path / "good.toml"
    good.write_text('command = "train"\n[grid]\nlr-warmup = [0.0, 0.5]\n')
    assert load_spec(good).grid == {"lr_warmup": [0.0, 0.5]}


def test_options_left_unset_do_not_enter_a_runs_name():
    from labctl.sweep.plan import run_key

    config = {"seed": 0, "limit": 100}
    assert run_key("train", config) == run_key("train", {**config, "device": {},
                                                         "setup": None, "tags": []})
    assert run_key("train", config) != run_key("train", {**config, "device": {"x": 1.0}})
    assert run_key("train", config) != run_key("program", config)


SHIPPED_SPECS = sorted((Path(__file__).parents[3] / "benchmarks").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED_SPECS, ids=lambda p: p.stem)
def test_every_shipped_sweep_spec_plans_its_runs(path: Path, tmp_path: Path):
    plan = plan_sweep(load_spec(path), tmp_path)
    assert len(plan.runs) >= 2
    assert len({r.key for r in plan.runs}) == len(plan.runs)


def test_the_shipped_specs_are_found():
    assert {"paper-seeds", "meta-range", "imperfections-seeds"} <= {p.stem for p in SHIPPED_SPECS}
