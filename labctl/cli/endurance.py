"""``labctl endurance``: SET/RESET cycling of a region, its window read at growing intervals."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer
from rich.table import Table

from labctl.cli.app import app, report
from labctl.cli.archived_run import run_archived
from labctl.cli.options import (
    Backend,
    Cells,
    Cols,
    Device,
    DeviceModelName,
    Operator,
    Out,
    Plot,
    Rows,
    Sample,
    Setup,
    Tile,
    parse_count,
)


@app.command()
def endurance(
    cycles: Annotated[str, typer.Option(
        help="Cycles at most (e.g. 1000000 or 1e6); each cell stops when it fails.")] = "1e6",
    reads_per_decade: Annotated[int, typer.Option(
        help="Window reads per decade of cycles.")] = 10,
    min_window: Annotated[float, typer.Option(
        help="A cell has failed when G_LRS - G_HRS falls below this (µS).")] = 20.0,
    probe_cycles: Annotated[int, typer.Option(
        help="Cycles read at each read point; failed when none opens the window.")] = 3,
    v_set: Annotated[float, typer.Option(help="SET pulse on the bit line (V).")] = 1.5,
    v_reset: Annotated[float, typer.Option(
        help="RESET pulse magnitude, applied negative on the bit line (V).")] = 2.5,
    gate: Annotated[float, typer.Option(help="Gate while cycling: SET compliance (V).")] = 1.3,
    width: Annotated[float, typer.Option(help="Width of each pulse (µs).")] = 1.0,
    v_read: Annotated[float, typer.Option(help="Board read voltage (V).")] = 0.2,
    backend: Backend = "mock",
    setup: Setup = None,
    tile: Tile = 0,
    rows: Rows = "0:8",
    cols: Cols = "0:8",
    cells: Cells = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated chip.")] = 0,
    device: Device = None,
    device_model: DeviceModelName = None,
    out: Out = None,
    plot: Plot = False,
    sample: Sample = None,
    operator: Operator = None,
) -> None:
    """Cycle cells SET/RESET in pulse bursts until --cycles or failure; fit a Weibull."""
    from labctl.backends import (
        bench_limits,
        check_backend,
        chip_geometry,
    )
    from labctl.characterization.endurance import (
        EnduranceConfig,
        endurance_archived,
        validate,
    )
    from labctl.device_model import device_overrides

    config = EnduranceConfig.build(
        cycles=parse_count(cycles, "--cycles", "cycles", "1000000 or 1e6"),
        reads_per_decade=reads_per_decade,
        min_window=min_window * 1e-6, probe_cycles=probe_cycles, v_set=v_set,
        v_reset=v_reset, gate=gate, width=width * 1e-6, v_read=v_read, tile=tile, rows=rows,
        cols=cols, cells=cells, seed=seed, device=device_overrides(device_model, device))
    check_backend(backend, setup, config.device)
    validate(config, chip_geometry(backend, setup), bench_limits(backend, setup))
    run_archived("endurance", config, endurance_archived, print_endurance_summary, backend=backend,
                 setup=setup, out=out, plot=plot, sample=sample, operator=operator)


def print_endurance_summary(s: dict[str, Any]) -> None:
    """The window at a read point per decade, the failures and the Weibull fit."""
    table = Table(title=f"endurance: {s['cells']} cells, up to {s['cycles']:.3g} cycles, "
                        f"failure below {s['min_window'] * 1e6:g} µS")
    for column in ("cycles", "cells cycling", "median window µS", "median G_LRS µS",
                   "median G_HRS µS", "below threshold"):
        table.add_column(column, justify="right")
    points = s["read_points"]
    shown = [p for p in points if _decade_point(p["cycle"])] or points
    if points and shown[-1] is not points[-1]:
        shown.append(points[-1])
    for p in shown:
        table.add_row(f"{p['cycle']:,}", str(p["cells"]), f"{p['window_median'] * 1e6:.1f}",
                      f"{p['g_lrs_median'] * 1e6:.1f}", f"{p['g_hrs_median'] * 1e6:.1f}",
                      str(p["below_min"]))
    report.print(table)
    fit = s.get("weibull")
    fitted = ("Weibull: fewer than two failures after the first read, no fit" if fit is None
              else f"Weibull fit ({fit['failures']} failures of {fit['cells']} cells): shape "
                   f"{fit['shape']:.2f}, scale {fit['scale']:.3g}, median "
                   f"{fit['median']:.3g} cycles")
    report.print(f"failed: {s['failed']} of {s['cells']} ({s['failed_at_first_read']} at the "
                 f"first read); cycles reached {s['cycles_reached']:,}\n{fitted}")


def _decade_point(cycle: int) -> bool:
    return cycle >= 1 and 10 ** round(math.log10(cycle)) == cycle

