"""Options that the characterization commands share, declared once (typer ``Annotated``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from drivers.errors import ConfigError

Backend = Annotated[str, typer.Option(help="mock (simulated chip) or chip (--setup).")]
Setup = Annotated[Path | None, typer.Option(help="Bench setup TOML (for chip).")]
Tile = Annotated[int, typer.Option(help="Tile of the cells.")]
Rows = Annotated[str, typer.Option(help="Rows START:STOP (STOP exclusive).")]
Cols = Annotated[str, typer.Option(help="Columns START:STOP (STOP exclusive).")]
Cells = Annotated[str | None, typer.Option(
    help="Cells ROW:COL,... on --tile instead of --rows/--cols.")]
Device = Annotated[str | None, typer.Option(
    help="Device-model overrides of the simulated chip (mock): NAME=VALUE,...")]
DeviceModelName = Annotated[str | None, typer.Option(
    "--device-model", help="Device model of the simulated chip (mock): a preset (typical, "
    "quiet, noisy, faulty) or a file from labctl calibrate; --device overrides it.")]
Out = Annotated[Path | None, typer.Option(
    help="Archive (default runs/<command>-<time>.h5).")]
Plot = Annotated[bool, typer.Option(help="Also write a PNG next to the archive.")]
Sample = Annotated[str | None, typer.Option(
    help="Chip or sample id for the archive (default: the setup's \\[chip] id).")]
Operator = Annotated[str | None, typer.Option(
    help="Who ran it, for the archive (default: the login name).")]
Levels = Annotated[int, typer.Option(help="Number of conductance levels (>= 2).")]
GMin = Annotated[float, typer.Option(help="Lowest level centre (µS).")]
GMax = Annotated[float, typer.Option(help="Highest level centre (µS).")]
Tolerance = Annotated[float, typer.Option(help="Half-width of each band (µS).")]


def parse_count(text: str, option: str, unit: str, example: str) -> int:
    """A count typed as ``1000000`` or ``1e6``: a whole number, 1 or more, else ConfigError
    naming ``option`` and showing ``example``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 1 and value.is_integer()):
        raise ConfigError(f"{option} {text!r} is not a whole number of {unit} (1 or more): "
                          f"give e.g. {example}")
    return int(value)
