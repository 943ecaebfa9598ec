"""``labctl read``: a quick look at the array: one read of a region, archived and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from labctl.archive.paths import default_path
from labctl.cli.app import app, console, report
from labctl.cli.options import Operator, Sample
from labctl.cli.progress import phase_progress


@app.command()
def read(
    backend: Annotated[str, typer.Option(help="mock (simulated chip) or chip (--setup).")] = "mock",
    setup: Annotated[Path | None, typer.Option(help="Bench setup TOML (for chip).")] = None,
    tile: Annotated[int, typer.Option(help="Tile to read.")] = 0,
    rows: Annotated[str, typer.Option(help="Rows START:STOP (STOP exclusive).")] = "0:128",
    cols: Annotated[str, typer.Option(help="Columns START:STOP (STOP exclusive).")] = "0:128",
    seed: Annotated[int, typer.Option(help="Seed of the simulated chip.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Archive (default runs/read-<time>.h5).")
                   ] = None,
    plot: Annotated[bool, typer.Option(
        help="Also write the heat map and histogram as a PNG next to the archive.")] = False,
    sample: Sample = None,
    operator: Operator = None,
) -> None:
    """Read a region (default: a whole tile) once and summarise its conductances."""
    from labctl.backends import chip_geometry, open_bench, run_provenance
    from labctl.reading import read_archived
    from labctl.region import Region

    region = Region.parse(tile, rows, cols)
    region.check(*chip_geometry(backend, setup))
    out = out or default_path("read")
    with open_bench(backend, setup, seed) as bench, phase_progress() as progress:
        _, summary = read_archived(region, bench, out,
                                   run_provenance(setup, sample, operator, bench), progress,
                                   seed)
    print_read_summary(summary)
    console.print(f"archive: {out}")
    if plot:
        from labctl.archive import Archive
        from labctl.plots.read import plot_read

        with Archive(out) as a:
            console.print(f"plot: {plot_read(a, out.with_suffix('.png'))}")


def print_read_summary(s: dict[str, Any]) -> None:
    """The conductance distribution of the cells read."""
    table = Table(title=f"{s['cells']} cells read")
    for column in ("mean µS", "σ µS", "min µS", "p5 µS", "median µS", "p95 µS", "max µS"):
        table.add_column(column, justify="right")
    if s["cells"]:
        table.add_row(*(f"{s[k] * 1e6:.3f}" for k in ("g_mean", "g_sigma", "g_min", "g_p5",
                                                       "g_median", "g_p95", "g_max")))
    report.print(table)
