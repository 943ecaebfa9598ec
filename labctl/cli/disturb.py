"""``labctl disturb``: programmed cells stressed by reads or a DC bias, against controls."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from drivers.errors import ConfigError
from labctl.cli.app import app, report
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
    parse_count,
)


@app.command()
def disturb(
    stress: Annotated[str, typer.Option(
        help="reads (board reads of the stressed cells) or dc (the SMU's bias, held).")
    ] = "reads",
    amount: Annotated[str, typer.Option(
        help="Reads of each stressed cell (e.g. 1e5), or the DC stress time (90s, 1h, 1d).")
    ] = "1e5",
    first: Annotated[str | None, typer.Option(
        help="Stress at the first read-back: 1 read, or amount / 1000 of a DC stress.")
    ] = None,
    points: Annotated[int, typer.Option(help="Read-backs under stress, geometric.")] = 11,
    v_stress: Annotated[float, typer.Option(help="Read or bias voltage (V).")] = 0.2,
    levels: Levels = 8,
    backend: Backend = "mock",
    setup: Setup = None,
    tile: Tile = 0,
    rows: Rows = "0:8",
    cols: Cols = "0:8",
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
) -> None:
    """Program cells to N levels, stress half of them at a read voltage, and follow both."""
    from labctl.backends import (
        bench_limits,
        check_backend,
        chip_geometry,
    )
    from labctl.characterization.disturb import DisturbConfig, disturb_archived, validate
    from labctl.device_model import device_overrides

    total, start = _amounts(stress, amount, first)
    config = DisturbConfig.build(
        stress=stress, amount=total, first=start, points=points, v_stress=v_stress,
        levels=levels, tile=tile, rows=rows, cols=cols, cells=cells, g_min=g_min * 1e-6,
        g_max=g_max * 1e-6, tolerance=tolerance * 1e-6, seed=seed,
        device=device_overrides(device_model, device))
    check_backend(backend, setup, config.device)
    validate(config, chip_geometry(backend, setup), bench_limits(backend, setup))
    run_archived("disturb", config, disturb_archived, print_disturb_summary, backend=backend,
                 setup=setup, out=out, plot=plot, sample=sample, operator=operator)


def _amounts(stress: str, amount: str, first: str | None) -> tuple[float, float]:
    """``--amount`` and ``--first`` as numbers: whole reads, or DC durations."""
    if stress == "dc":
        from labctl.durations import parse_duration

        total = parse_duration(amount, "--amount")
        return total, parse_duration(first, "--first") if first else total / 1000
    if stress != "reads":
        raise ConfigError(f"--stress {stress!r} is neither reads nor dc")
    return (float(parse_count(amount, "--amount", "reads", "100000 or 1e5")),
            float(parse_count(first, "--first", "reads", "1 or 100")) if first else 1.0)


def print_disturb_summary(s: dict[str, Any]) -> None:
    """Drift of the stressed cells and of the controls, and their difference, per read-back."""
    unit = "reads" if s["stress"] == "reads" else "s"
    table = Table(title=f"disturb: {s['stressed']} cells stressed ({s['stress']}), "
                        f"{s['controls']} controls, {s['levels']} levels ±"
                        f"{s['tolerance'] * 1e6:g} µS")
    for column in (f"stress {unit}", "drift stressed µS", "drift control µS",
                   "disturb µS", "moved stressed %", "moved control %"):
        table.add_column(column, justify="right")

    def cell(value: float | None, scale: float, digits: int) -> str:
        return "-" if value is None else f"{value * scale:.{digits}f}"

    for p in s["read_backs"]:
        table.add_row(f"{p['stress']:.4g}", cell(p["drift_stressed"], 1e6, 3),
                      cell(p["drift_control"], 1e6, 3), cell(p["disturb"], 1e6, 3),
                      cell(p["moved_stressed"], 100, 1), cell(p["moved_control"], 100, 1))
    report.print(table)
