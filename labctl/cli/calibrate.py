"""``labctl calibrate``: fit a device model to a chip's program archive and write it out."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from labctl.archive.paths import archive_path
from labctl.cli.app import app, console, report

_SCALE = {"S": (1e6, "µS"), "S/decade": (1e6, "µS/decade"), "V": (1.0, "V"), "1": (1.0, "")}
"""How each unit is shown: conductances in µS."""


@app.command()
def calibrate(
    archive: Annotated[Path, typer.Argument(help="A labctl program archive taken on the chip.")],
    out: Annotated[Path, typer.Option(help="Device-model file to write (TOML).")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resampling.")] = 0,
) -> None:
    """Fit the device model's read noise, relaxation, stuck cells, SET law and RESET response
    (its depth, and the gate from which it is fully driven) to a program archive, print each
    with its uncertainty and the published range, and write them as a device-model file for
    --device-model."""
    from labctl.archive.provenance import now_iso, package_version
    from labctl.archive.reader import checked
    from labctl.calibration import calibrate as fit
    from labctl.device_model import write_model
    from labctl.run_config import check_seed

    seed = check_seed(seed)
    path = archive_path(archive)
    with checked(path) as opened, console.status("fitting the device model"):
        result = fit(opened, seed)
        source = {"archive": str(path.resolve()), "archive_sha256": _sha256(path),
                  "kind": opened.kind, "backend": opened.backend, "sample":
                  str(opened.provenance.get("sample") or ""), "cells": str(result.cells),
                  "created": now_iso(), "written_by": f"labctl calibrate {package_version()}"}
    table = Table(title=f"{path.name}: {result.cells} cells")
    for column in ("figure", "fitted", "±1σ", "unit", "published", "model"):
        table.add_column(column, justify="right" if column in ("fitted", "±1σ") else "left",
                         no_wrap=column != "published")
    for e in result.estimates:
        scale, unit = _SCALE.get(e.unit, (1.0, e.unit))
        table.add_row(e.name, f"{e.value * scale:.4g}", f"{e.uncertainty * scale:.2g}", unit,
                      e.published or "-", "yes" if e.parameter else "-")
    report.print(table)
    for figure, why in result.unfitted.items():
        report.print(f"not fitted: {figure}: {why}")
    write_model(out, result.parameters(), result.uncertainties(), source)
    report.print(f"device model: {out} (use it with --device-model {out})")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
