"""``labctl retention``: program a region to N levels, then read it at log-spaced times."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from statistics import fmean
from typing import Annotated, Any

import typer
from rich.table import Table

from drivers.errors import ConfigError
from labctl.cli.app import app, console, report
from labctl.cli.archived_run import run_archived
from labctl.cli.options import (
    Backend,
    Cells,
    Cols,
    Device,
    DeviceModelName,
    GMax,
    GMin,
    Levels,
    Operator,
    Out,
    Plot,
    Rows,
    Sample,
    Setup,
    Tile,
    Tolerance,
)


@app.command()
def retention(
    duration: Annotated[str, typer.Option(
        help="Last read-back after programming: 90s, 30m, 1h, 1d, 1w (mock: simulated time; "
             "chip: real time).")] = "1d",
    reads: Annotated[int, typer.Option(help="Read-backs, log-spaced in time.")] = 20,
    first: Annotated[str, typer.Option(help="First read-back after programming.")] = "1s",
    levels: Levels = 8,
    backend: Backend = "mock",
    setup: Setup = None,
    tile: Tile = 0,
    rows: Rows = "0:16",
    cols: Cols = "0:16",
    cells: Cells = None,
    g_min: GMin = 10.0,
    g_max: GMax = 120.0,
    tolerance: Tolerance = 2.0,
    seed: Annotated[int, typer.Option(help="Seed of the level pattern and simulated chip.")] = 0,
    device: Device = None,
    device_model: DeviceModelName = None,
    out: Out = None,
    plot: Plot = False,
    sample: Sample = None,
    operator: Operator = None,
    resume: Annotated[Path | None, typer.Option(
        help="Go on with the interrupted bench run archived in FILE, from its next read-back "
             "(with --backend chip --setup; its own settings, not these, apply).")] = None,
) -> None:
    """Program cells to N levels, then follow their conductance at log-spaced times."""
    from labctl.backends import check_backend, chip_geometry
    from labctl.characterization.retention import (
        RetentionConfig,
        retention_archived,
        validate,
    )
    from labctl.device_model import device_overrides
    from labctl.durations import parse_duration

    if resume is not None:
        _resume(resume, backend, setup, sample, operator)
        return
    config = RetentionConfig.build(
        duration=parse_duration(duration, "--duration"), reads=reads,
        first=parse_duration(first, "--first"), levels=levels, tile=tile, rows=rows,
        cols=cols, cells=cells, g_min=g_min * 1e-6, g_max=g_max * 1e-6,
        tolerance=tolerance * 1e-6, seed=seed, device=device_overrides(device_model, device))
    check_backend(backend, setup, config.device)
    validate(config, chip_geometry(backend, setup))
    run_archived("retention", config, retention_archived, print_retention_summary, backend=backend,
                 setup=setup, out=out, plot=plot, sample=sample, operator=operator)


def _resume(path: Path, backend: str, setup: Path | None, sample: str | None,
            operator: str | None) -> None:
    from labctl.backends import check_backend, chip_geometry
    from labctl.characterization.retention import load_unfinished, retention_archived

    if backend != "chip":
        raise ConfigError("--resume goes on with a run on a real bench: give --backend chip "
                          "--setup FILE (a simulated chip's state is not archived)")
    check_backend(backend, setup)
    unfinished = load_unfinished(path)
    unfinished.config.check_cells(chip_geometry(backend, setup))
    taken = unfinished.tables["retention"]["read"]
    done = int(taken.max()) + 1 if taken.size else 0
    console.print(f"resuming {path}: {done} of {unfinished.config.reads} read-backs taken",
                  highlight=False)
    run_archived("retention", unfinished.config, partial(retention_archived,
                                                         unfinished=unfinished),
                 print_retention_summary, backend=backend, setup=setup, out=path, plot=False,
                 sample=sample, operator=operator)


def print_retention_summary(s: dict[str, Any]) -> None:
    """Read-back error and level spread against time, and the fitted relaxation."""
    table = Table(title=f"retention: {s['cells']} cells, {s['levels']} levels, "
                        f"±{s['tolerance'] * 1e6:g} µS")
    for column in ("time s", "read-back error %", "mean σ G µS"):
        table.add_column(column, justify="right")
    for time, error, levels in zip(s["times"], s["readback_error"], s["per_level"],
                                   strict=True):
        sigmas = [lv["sigma"] for lv in levels if lv is not None]
        table.add_row(f"{time:.4g}", f"{error * 100:.2f}",
                      f"{fmean(sigmas) * 1e6:.3f}" if sigmas else "-")
    report.print(table)
    passes = ", ".join(f"{k}: {'never' if t is None else f'{t:.4g} s'}"
                       for k, t in s["error_passes"].items())
    fit = s.get("relaxation")
    relax = ("relaxation: too few read-backs after 10 s to fit" if fit is None else
             f"relaxation per decade (from {fit['from']:g} s, {fit['cells']} cells): drift "
             f"{fit['drift_per_decade'] * 1e6:+.3f} µS, spread "
             f"{fit['sigma_per_decade'] * 1e6:.3f} µS")
    report.print(f"read-back error passes {passes}\n{relax}")
