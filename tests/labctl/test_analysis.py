"""Archives into the analysis ecosystem: ``labctl.open_archive`` gives xarray DataTrees with the
file's dimensions, coordinates and units; ``labctl export`` writes netCDF-4 and CSV."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

import labctl
from labctl.archive import Archive, ArchiveError
from tests.labctl.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def program_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("analysis") / "program.h5"
    code, text = run_cli("program", "--levels", "4", "--rows", "0:6", "--cols", "0:8",
                         "--wait", "1", "--out", str(out))
    assert code == 0, text
    return out


@pytest.fixture(scope="module")
def train_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("analysis") / "train.h5"
    code, text = run_cli("train", "--hidden", "8", "--epochs", "1", "--limit", "256",
                         "--out", str(out))
    assert code == 0, text
    return out


def test_a_program_archive_opens_with_its_dimensions_coordinates_and_units(
        program_h5: Path) -> None:
    tree = labctl.open_archive(program_h5)
    assert tree.attrs["kind"] == "program" and tree.attrs["status"] == "complete"
    assert json.loads(tree.attrs["config"])["levels"] == 4
    writes = tree["writes"].to_dataset()
    assert writes.sizes == {"write": 48}
    assert writes["g_final"].attrs["units"] == "S" and writes["energy"].attrs["units"] == "J"
    assert writes["pulses"].attrs["units"] == "1"
    levels = tree["levels"].to_dataset()
    assert list(levels.indexes) == ["level"] and list(levels["level"].values) == [0, 1, 2, 3]
    conductance = tree["map_tile0"]["conductance"]
    assert conductance.dims == ("row", "col") and conductance.attrs["units"] == "S"
    with Archive(program_h5) as archive:
        np.testing.assert_array_equal(writes["g_final"].values, archive.table("writes")["g_final"])
        np.testing.assert_array_equal(conductance.values, archive.conductance_map(0))
    # analysis by label: the read-back of every cell after the wait, per level
    verify = tree["verify"].to_dataset()
    after = verify.where(verify["delay"] == 1.0, drop=True)
    assert after.sizes["read"] == 48
    assert conductance.sel(row=slice(0, 5), col=slice(0, 7)).notnull().all()


def test_a_training_archive_opens_with_named_tasks_and_per_layer_writes(train_h5: Path) -> None:
    tree = labctl.open_archive(train_h5)
    curves = tree["accuracy_curves"]["accuracy"]
    assert curves.dims == ("epoch", "task")
    assert list(curves["task"].values) == ["mnist", "fashion-mnist"]
    assert list(curves["epoch"].values) == [1, 2]
    assert 0 < float(curves.sel(epoch=1, task="mnist")) <= 1
    epochs = tree["epochs"].to_dataset()
    assert epochs.sizes == {"run_epoch": 2} and epochs["wall_time"].attrs["units"] == "s"
    layers = sorted(tree["device_writes"].children)
    assert layers == ["fc0", "fc1"]
    assert tree["device_writes/fc0"]["writes"].dims == ("out", "in")
    assert "checkpoint" not in tree.children


@pytest.mark.parametrize("fixture", ["v1-program.h5", "v1-train.h5"])
def test_schema_1_archives_open_too_with_the_schemas_units(fixture: str) -> None:
    tree = labctl.open_archive(FIXTURES / fixture)
    assert tree.attrs["schema_version"] == 1
    if tree.attrs["kind"] == "program":
        assert tree["writes"]["g_final"].attrs["units"] == "S"
        assert tree["map_tile0"]["conductance"].dims == ("row", "col")
    else:
        accuracy = tree["accuracy"].to_dataset()
        assert set(accuracy.data_vars) == {"trained_task", "epoch", "eval_task", "accuracy"}
        assert sorted(tree["device_writes"].children) == ["fc0", "fc1"]


def test_netcdf_export_round_trips_through_xarray(program_h5: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.nc"
    code, text = run_cli("export", str(program_h5), "--out", str(out))
    assert code == 0, text
    back = xr.open_datatree(out, engine="h5netcdf")
    tree = labctl.open_archive(program_h5)
    xr.testing.assert_identical(back["writes"].to_dataset(), tree["writes"].to_dataset())
    xr.testing.assert_identical(back["map_tile0"].to_dataset(), tree["map_tile0"].to_dataset())
    assert back.attrs["config"] == tree.attrs["config"]


def test_csv_export_writes_a_file_per_table_with_units_in_the_header(
        train_h5: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    code, text = run_cli("export", str(train_h5), "--format", "csv", "--out", str(out))
    assert code == 0, text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["accuracy.csv", "accuracy_curves.csv", "device_writes-fc0.csv",
                     "device_writes-fc1.csv", "epochs.csv", "layer_epochs.csv", "mapping.csv",
                     "resumes.csv", "run.json"]
    header = (out / "epochs.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "run_epoch" and "wall_time (s)" in header
    assert len((out / "device_writes-fc1.csv").read_text().splitlines()) == 1 + 10 * 8
    assert json.loads((out / "run.json").read_text())["config"]["hidden"] == [8]


def test_a_file_that_is_not_an_archive_is_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ArchiveError, match="not a labctl archive"):
        labctl.open_archive(other)
    code, text = run_cli("export", str(other))
    assert code == 2 and text.startswith("error:") and text.count("\n") == 1, text
