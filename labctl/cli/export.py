"""``labctl export``: an archive as netCDF or CSV, for people and tools outside Python."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labctl.cli.app import app, console


class Format(StrEnum):
    """What ``labctl export`` writes."""

    NETCDF = "netcdf"
    """One netCDF-4 file, a group per table and array."""
    CSV = "csv"
    """A directory of one CSV per table and array, and run.json."""


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive.")],
    format: Annotated[Format, typer.Option(
        "--format", help="netcdf (one .nc file) or csv (a directory of .csv files).")
    ] = Format.NETCDF,
    out: Annotated[Path | None, typer.Option(
        help="Where to write (default: next to the archive, FILE.nc or FILE-csv/).")] = None,
) -> None:
    """Export an archive's tables and arrays, with their dimensions and units."""
    from labctl.archive.analysis import open_archive, to_csv, to_netcdf

    tree = open_archive(file)
    if format is Format.NETCDF:
        console.print(f"netcdf: {to_netcdf(tree, out or file.with_suffix('.nc'))}")
    else:
        written = to_csv(tree, out or file.with_name(f"{file.stem}-csv"))
        console.print(f"csv: {len(written)} files in {written[0].parent}")
