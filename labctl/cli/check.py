"""``labctl check``: open every instrument of a setup, show who answers, leave the bench safe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from drivers.errors import ConfigError
from labctl.cli.app import app, report


@app.command()
def check(
    setup: Annotated[Path, typer.Option(help="Bench setup TOML to check.")],
) -> None:
    """Open the setup's instruments, print their identities and limits, then make all safe."""
    from labctl.backends import chip_bench
    from labctl.limits import path_limits
    from labctl.setup import load_setup

    bench_setup = load_setup(setup)
    with chip_bench(bench_setup) as bench:
        tiles, rows, cols = bench.geometry
        chip = bench_setup.chip
        if (chip.rows, chip.cols) != (rows, cols) or chip.tiles > tiles:
            raise ConfigError(
                f"setup {setup} describes {chip.tiles} x {chip.rows} x {chip.cols} cells but the "
                f"FPGA board reports {tiles} x {rows} x {cols}; correct the [chip] section")
        identities = bench.identities
        fpga = bench.fpga.identity
    table = Table(title=f"{bench_setup.name}: every instrument answered; bench left safe")
    table.add_column("role")
    table.add_column("address")
    table.add_column("identity")
    table.add_row("smu", bench_setup.smu.resource, identities["smu"])
    table.add_row("pulse generator", bench_setup.pulse_generator.resource,
                  identities["pulse_generator"])
    table.add_row("fpga", bench_setup.fpga.url, identities["fpga"])
    report.print(table)
    limits = Table(title="limits: the smallest limit on each path binds")
    for column in ("terminal", "reached from", "limit", "bound by"):
        limits.add_column(column, overflow="fold")
    for bound in path_limits(bench_setup, fpga):
        limits.add_row(bound.terminal, bound.path, f"{bound.value:g} {bound.unit}",
                       ", ".join(bound.binding))
    report.print(limits)
