"""``labctl read``: a quick look at the array: one read of a region, archived and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from drivers.errors import LabError
from labctl.cli.app import app, console, default_out, report
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
    sample: Annotated[str | None, typer.Option(
        help="Chip or sample id for the archive (default: the setup's [chip] id).")] = None,
    operator: Annotated[str | None, typer.Option(
        help="Who ran it, for the archive (default: the login name).")] = None,
) -> None:
    """Read a region (default: a whole tile) once and summarise its conductances."""
    from labctl.archive import Archive, ArchiveWriter
    from labctl.backends import chip_geometry, open_bench, run_provenance
    from labctl.plots.read import plot_read
    from labctl.reading import layout_for, run_read
    from labctl.region import Region
    from labctl.reports.read import read_summary

    region = Region.parse(tile, rows, cols)
    geometry = chip_geometry(backend, setup)
    region.check(*geometry)
    out = out or default_out("read")
    config = {"tile": tile, "rows": rows, "cols": cols, "seed": seed}
    with open_bench(backend, setup, seed, tiles=tile + 1) as bench:
        config["v_read"] = bench.params.v_read
        archive = ArchiveWriter(out, "read", layout_for(region, bench.geometry),
                                backend=backend, seed=seed, config=config,
                                instruments=bench.identities,
                                provenance=run_provenance(setup, sample, operator, bench))
        try:
            with phase_progress() as progress:
                run_read(region, bench, archive, progress)
        except KeyboardInterrupt:
            archive.close("interrupted", {})
            raise LabError(f"interrupted; bench left safe, archive {out} holds the cells "
                           "read so far") from None
        except LabError as err:
            archive.fail(str(err))
            raise
        except BaseException:
            archive.abandon()
            raise
        summary = read_summary(archive.table("reads"))
        archive.close("complete", summary)
    print_read_summary(summary)
    console.print(f"archive: {out}")
    if plot:
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
