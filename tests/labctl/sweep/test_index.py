"""The sweep's index: what it records of every run, the statistics over seeds, the Dataset
it opens as, its figures, and the folder it claims."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import labctl
from drivers.errors import ConfigError
from labctl.archive import Archive
from labctl.plots.sweep import plot_sweep
from labctl.reports.sweep import sweep_summary
from labctl.sweep import plan_sweep, spec_from
from labctl.sweep.index import SweepIndex, previous_index
from labctl.sweep.worker import Action, Outcome, count_attempt
from tests.labctl.cli_runner import run_cli

TABLES = {"command": "train", "options": {"limit": 100},
          "grid": {"seed": [0, 1, 2], "meta": [0.0, 4.5]}}


def outcome(key: str, seed: int, meta: float) -> Outcome:
    """Figures that are a known function of the grid point."""
    after = {"mnist": {"mnist": 0.9 + 0.01 * seed, "fashion-mnist": 0.1},
             "fashion-mnist": {"mnist": 0.5 + 0.08 * meta, "fashion-mnist": 0.8}}
    figures = {"writes_per_device_mean": 1.0 + meta + seed, "writes_per_device_max": 9.0,
               "level_changes": 100.0 * (meta + 1), "pulses": 0.0, "failed_writes": 0.0,
               "wall_time": 2.0, "bench_time": 0.0}
    return Outcome(key, "complete", Action.STARTED, figures, after)


@pytest.fixture
def sweep(tmp_path: Path):
    """A sweep of six runs: five complete, (seed 2, m* 4.5) failed."""
    plan = plan_sweep(spec_from(TABLES), tmp_path)
    index = SweepIndex.create(plan, previous_index(plan))
    for run in plan.runs:
        run.archive.parent.mkdir(parents=True, exist_ok=True)
        count_attempt(run.archive)
        index.started(run.index)
        if run.point == {"seed": 2, "meta": 4.5}:
            index.finished(run.index, Outcome(run.key, "failed", Action.STARTED,
                                              error="the bench stopped answering"))
        else:
            index.finished(run.index, outcome(run.key, run.point["seed"], run.point["meta"]))
    index.close("complete", {})
    return plan


def test_statistics_are_over_the_seeds_of_each_grid_point(sweep):
    with Archive(sweep.index_path) as archive:
        summary = sweep_summary(archive)
    assert summary["grouped_by"] == ["meta"] and summary["pooled"] == "seed"
    control, meta = summary["groups"]
    assert control["point"] == {"meta": 0.0} and meta["point"] == {"meta": 4.5}
    assert (control["complete"], meta["complete"], meta["failed"]) == (3, 2, 1)
    writes = control["figures"]["writes_per_device_mean"]
    assert writes["mean"] == pytest.approx(2.0) and writes["std"] == pytest.approx(1.0)
    assert writes["count"] == 3
    kept = meta["figures"]["accuracy mnist after fashion-mnist"]
    assert kept["mean"] == pytest.approx(0.86) and kept["count"] == 2
    assert meta["figures"]["accuracy mnist after mnist"]["mean"] == pytest.approx(0.905)
    assert summary["failures"] == [{"run": "seed=2, meta=4.5",
                                    "error": "the bench stopped answering"}]
    assert summary["runs_by_status"]["complete"] == 5


def test_the_index_records_every_run(sweep):
    with Archive(sweep.index_path) as archive:
        assert archive.kind == "sweep"
        archive.verify()
        keys = [k.decode() for k in archive.array("runs/key")]
        assert keys == [r.key for r in sweep.runs]
        assert list(archive.array("runs/attempts")) == [1] * 6
        assert archive.described("figures/wall_time").units == "s"
        configs = [json.loads(c) for c in archive.array("runs/config")]
        assert [c["seed"] for c in configs] == [0, 0, 1, 1, 2, 2]


def test_a_sweep_opens_as_one_dataset_over_its_axes(sweep):
    ds = labctl.open_sweep(sweep.directory)
    assert dict(ds.sizes) == {"seed": 3, "meta": 2, "after": 2, "task": 2}
    assert list(ds.meta.values) == [0.0, 4.5]
    assert ds.level_changes.sel(seed=1, meta=4.5).item() == pytest.approx(550.0)
    assert np.isnan(ds.level_changes.sel(seed=2, meta=4.5).item())
    assert ds.status.sel(seed=2, meta=4.5).item() == "failed"
    assert ds.accuracy.sel(after="fashion-mnist", task="mnist").mean("seed").sel(
        meta=0.0).item() == pytest.approx(0.5)
    assert ds.wall_time.attrs == {"units": "s", "long_name": "wall time of the run"}


def test_zipped_options_share_one_dimension(tmp_path: Path):
    plan = plan_sweep(spec_from({"command": "train", "grid": {"seed": [0, 1]},
                                 "zip": [{"meta": [0.0, 4.5], "lr": [0.01, 0.005]}]}),
                      tmp_path)
    SweepIndex.create(plan, previous_index(plan)).close("complete", {})
    ds = labctl.open_sweep(tmp_path)
    assert ds.lr.dims == ("meta",) and list(ds.lr.values) == [0.01, 0.005]


def test_every_figure_is_drawn_and_the_matrix_too(sweep, tmp_path: Path):
    with Archive(sweep.index_path) as archive:
        written = plot_sweep(archive, tmp_path / "plots")
    names = {p.name for p in written}
    assert {"cl_matrix.png", "wall_time.png", "accuracy_mnist_after_fashion_mnist.png"} <= names
    assert all(p.stat().st_size > 10_000 for p in written)


def test_inspect_and_plot_take_the_sweeps_folder(sweep):
    code, out = run_cli("inspect", str(sweep.directory), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["kind"] == "sweep" and len(data["groups"]) == 2
    code, out = run_cli("inspect", str(sweep.directory))
    assert code == 0 and "5 of 6 runs complete" in out and "mean ± std over seeds" in out
    assert "failed: seed=2, meta=4.5: the bench stopped answering" in out
    code, out = run_cli("plot", str(sweep.directory))
    assert code == 0 and (sweep.directory / "plots" / "cl_matrix.png").exists()


def test_an_index_is_rebuilt_with_what_the_old_one_knew(sweep):
    previous = previous_index(sweep)
    failed = next(r for r in sweep.runs if r.point == {"seed": 2, "meta": 4.5})
    assert previous.failures == {failed.key: "the bench stopped answering"}
    SweepIndex.create(sweep, previous)
    with Archive(sweep.index_path) as archive:
        assert list(archive.array("runs/attempts")) == [1] * 6
        assert archive.meta["created"] == previous.created


def test_a_folder_holding_another_sweeps_index_is_refused(sweep):
    other = plan_sweep(spec_from({**TABLES, "options": {"limit": 200}}), sweep.directory)
    with pytest.raises(ConfigError, match="holds the index of another sweep"):
        previous_index(other)


def test_a_damaged_index_says_it_can_be_rebuilt(sweep):
    sweep.index_path.write_bytes(b"garbage")
    with pytest.raises(ConfigError, match=r"delete .* to rebuild the index"):
        previous_index(sweep)


def test_a_sweep_exports_as_one_table(sweep, tmp_path: Path):
    code, out = run_cli("export", str(sweep.directory), "--format", "csv", "--out",
                        str(tmp_path / "csv"))
    assert code == 0, out
    header = (tmp_path / "csv" / "sweep.csv").read_text().splitlines()[0]
    assert header.startswith("seed,meta,after,task") and "level_changes" in header
