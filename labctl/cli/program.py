"""``labctl program``: multi-level write-verify of a region, archived, summarised, plotted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from labctl.archive.paths import default_path
from labctl.cli.app import app, console, report
from labctl.cli.options import DeviceModelName, Operator, Sample
from labctl.cli.progress import phase_progress


@app.command()
def program(
    levels: Annotated[int, typer.Option(help="Number of conductance levels (>= 2).")] = 8,
    backend: Annotated[str, typer.Option(help="mock (simulated chip) or chip (--setup).")] = "mock",
    setup: Annotated[Path | None, typer.Option(help="Bench setup TOML (for chip).")] = None,
    tile: Annotated[int, typer.Option(help="Tile to program.")] = 0,
    rows: Annotated[str, typer.Option(help="Rows START:STOP (STOP exclusive).")] = "0:128",
    cols: Annotated[str, typer.Option(help="Columns START:STOP (STOP exclusive).")] = "0:128",
    pattern: Annotated[str, typer.Option(help="random, checkerboard or ramp.")] = "random",
    g_min: Annotated[float, typer.Option(help="Lowest level centre (µS).")] = 10.0,
    g_max: Annotated[float, typer.Option(help="Highest level centre (µS).")] = 120.0,
    tolerance: Annotated[float, typer.Option(help="Half-width of each band (µS).")] = 2.0,
    mode: Annotated[str, typer.Option(help="fpga (offloaded) or host (pulse by pulse).")] = "fpga",
    scheme: Annotated[str | None, typer.Option(
        help="igvva (step the gate) or ispva (step V_BL); default: the setup's, else igvva."
    )] = None,
    max_pulses: Annotated[int | None, typer.Option(
        help="Pulse budget per cell (default: the setup's, else 50).")] = None,
    reads: Annotated[int | None, typer.Option(
        help="Reads averaged per verify (default: the setup's, else 1).")] = None,
    confirm: Annotated[bool | None, typer.Option(
        help="Re-read before accepting a cell (default: the setup's, else on).")] = None,
    verify_wait: Annotated[float | None, typer.Option(
        help="Wait-then-verify: wait this long (s) after a batch, verify again "
             "(default: the setup's, else 0: off).")] = None,
    wait: Annotated[float, typer.Option(help="Wait before the 2nd read-back (s).")] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of the pattern and simulated chip.")] = 0,
    device: Annotated[str | None, typer.Option(
        help="Device-model overrides of the simulated chip (mock): NAME=VALUE,... e.g. "
             "read_rel_sigma=0.02.")] = None,
    device_model: DeviceModelName = None,
    out: Annotated[Path | None, typer.Option(help="Archive (default runs/program-<time>.h5).")
                   ] = None,
    plot: Annotated[bool, typer.Option(help="Also write a PNG next to the archive.")] = False,
    sample: Sample = None,
    operator: Operator = None,
) -> None:
    """Program a region of the array to N conductance levels with write-verify."""
    from labctl.archive import Archive
    from labctl.backends import check_backend, chip_geometry, open_bench, run_provenance
    from labctl.device_model import device_overrides
    from labctl.programming import program_archived, program_config, validate

    config = program_config(levels=levels, g_min=g_min, g_max=g_max, tolerance=tolerance,
                            tile=tile, rows=rows, cols=cols, pattern=pattern, mode=mode,
                            wait=wait, seed=seed, scheme=scheme, max_pulses=max_pulses,
                            reads=reads, confirm=confirm, verify_wait=verify_wait,
                            device=device_overrides(device_model, device))
    check_backend(backend, setup, config.device)
    validate(config, chip_geometry(backend, setup))
    out = out or default_path("program")
    with (open_bench(backend, setup, seed, device=config.device) as bench,
          phase_progress() as progress):
        result = program_archived(config, bench, out,
                                  run_provenance(setup, sample, operator, bench), progress)
    print_program_summary(result.summary)
    console.print(f"archive: {out}")
    if plot:
        from labctl.plots.program import plot_program

        with Archive(out) as a:
            console.print(f"plot: {plot_program(a, out.with_suffix('.png'))}")


def print_program_summary(s: dict) -> None:
    """Per-level table and overall figures of a programming run."""
    table = Table(title=f"{s['cells']} cells, {s['levels']} levels, "
                        f"±{s['tolerance'] * 1e6:g} µS")
    for col in ("level", "target µS", "cells", "mean G µS", "σ G µS", "pulses mean",
                "pulses p95", "success %"):
        table.add_column(col, justify="right")
    for lv in s["per_level"]:
        table.add_row(str(lv["level"]), f"{lv['target'] * 1e6:.1f}", str(lv["cells"]),
                      _fmt(lv["g_mean"], 1e6, ".2f"), _fmt(lv["g_sigma"], 1e6, ".2f"),
                      _fmt(lv["pulses_mean"], 1, ".1f"), _fmt(lv["pulses_p95"], 1, ".0f"),
                      _fmt(lv["success_rate"], 100, ".2f"))
    report.print(table)
    rb = ", ".join(f"{float(d):g} s: {e * 100:.2f} %" for d, e in s["readback_error"].items())
    report.print(f"success {s['success_rate'] * 100:.2f} %   pulses/cell mean "
                  f"{s['pulses_mean']:.1f} p95 {s['pulses_p95']:.0f}   read-back error {rb}")
    if "phases" in s:
        report.print(f"bench time {s['bench_time']:.3f} s (estimated)   programming: "
                     f"{s['round_trips_per_cell']:.4f} host round trips per cell, "
                     f"{s['pulses_per_second']:.0f} pulses/s, {s['round_trips_per_second']:.0f} "
                     f"round trips/s   link retries {s['link_retries']}")


def _fmt(value: float | None, scale: float, spec: str) -> str:
    return "-" if value is None else format(value * scale, spec)
