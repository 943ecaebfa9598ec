"""``labctl iv``: quasi-static I-V sweeps (forming, RESET, SET) of selected cells."""

from __future__ import annotations

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
)


@app.command()
def iv(
    backend: Backend = "mock",
    setup: Setup = None,
    tile: Tile = 0,
    rows: Rows = "0:8",
    cols: Cols = "0:8",
    cells: Cells = None,
    cycles: Annotated[int, typer.Option(help="RESET-then-SET cycles per cell.")] = 3,
    step: Annotated[float, typer.Option(help="Staircase step (V).")] = 0.03,
    v_form: Annotated[float, typer.Option(help="Forming sweep peak, bit line (V).")] = 3.5,
    v_set: Annotated[float, typer.Option(help="SET sweep peak, bit line (V).")] = 1.5,
    v_reset: Annotated[float, typer.Option(help="RESET sweep peak, source line (V).")] = 2.0,
    gate_set: Annotated[float, typer.Option(
        help="Gate voltage of SET: the transistor's compliance (V).")] = 1.2,
    gate_reset: Annotated[float, typer.Option(help="Gate voltage of RESET (V).")] = 3.0,
    gate_form: Annotated[float, typer.Option(help="Gate voltage of forming (V).")] = 1.0,
    compliance: Annotated[float, typer.Option(help="SMU current limit (A).")] = 1e-3,
    dwell: Annotated[float, typer.Option(
        help="Source delay before each point's measurement (s).")] = 1e-3,
    nplc: Annotated[float, typer.Option(help="Integration time per point (PLC).")] = 0.1,
    v_read: Annotated[float, typer.Option(help="R_on/R_off taken up to this voltage (V).")
                      ] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the simulated chip.")] = 0,
    device: Device = None,
    device_model: DeviceModelName = None,
    out: Out = None,
    plot: Plot = False,
    sample: Sample = None,
    operator: Operator = None,
) -> None:
    """Sweep I-V curves of cells: forming if pristine, then RESET and SET each cycle."""
    from labctl.backends import (
        bench_limits,
        check_backend,
        chip_geometry,
    )
    from labctl.characterization.iv import IVConfig, iv_archived, validate
    from labctl.device_model import device_overrides

    config = IVConfig.build(tile=tile, rows=rows, cols=cols, cells=cells, cycles=cycles,
                            step=step, v_form=v_form, v_set=v_set, v_reset=v_reset,
                            gate_set=gate_set, gate_reset=gate_reset, gate_form=gate_form,
                            compliance=compliance, dwell=dwell, nplc=nplc, v_read=v_read,
                            seed=seed, device=device_overrides(device_model, device))
    check_backend(backend, setup, config.device)
    validate(config, chip_geometry(backend, setup), bench_limits(backend, setup))
    run_archived("iv", config, iv_archived, print_iv_summary, backend=backend,
                 setup=setup, out=out, plot=plot, sample=sample, operator=operator)


_ROWS = (("V_form", "v_form", "V", 1.0), ("V_set", "v_set", "V", 1.0),
         ("|V_reset|", "v_reset", "V", 1.0), ("R_on", "r_on", "kΩ", 1e-3),
         ("R_off", "r_off", "kΩ", 1e-3), ("R_off / R_on", "on_off_ratio", "", 1.0))


def print_iv_summary(s: dict[str, Any]) -> None:
    """Distributions of the switching figures over cells and cycles."""
    table = Table(title=f"I-V: {s['cells']} cells, {s['cycles']} cycles, "
                        f"{s['branches']} branches")
    for column in ("figure", "unit", "count", "median", "p10", "p90", "mean", "σ"):
        table.add_column(column, justify="right")
    for label, key, unit, scale in _ROWS:
        d = s[key]
        values = ([f"{d[k] * scale:.3g}" for k in ("median", "p10", "p90", "mean", "std")]
                  if d["count"] else ["-"] * 5)
        table.add_row(label, unit, str(d["count"]), *values)
    report.print(table)
    yields = [f"{name} {s[key] * 100:.1f} %" for name, key in
              (("SET switched", "set_yield"), ("RESET switched", "reset_yield"))
              if s.get(key) is not None]
    bench = f"   bench time {s['bench_time']:.1f} s" if "bench_time" in s else ""
    report.print("   ".join(yields) + bench)
