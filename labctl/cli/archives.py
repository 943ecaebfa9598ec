"""``labctl inspect`` and ``labctl plot``: read back any archive labctl writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from labctl.archive import Archive
from labctl.cli.app import app, console, report
from labctl.cli.program import print_program_summary
from labctl.cli.train import print_train_summary
from labctl.plots.program import plot_program
from labctl.plots.train import plot_train
from labctl.reports import summarise


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise an archive: provenance, status and key figures."""
    with Archive(file) as archive:
        summary = summarise(archive)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, sort_keys=True, default=float))
        return
    report.print(f"[bold]{summary['file']}[/]: {summary['kind']} run, {summary['status']}, "
                 f"backend {summary['backend']}, seed {summary['seed']}, "
                 f"created {summary.get('created', '?')}, labctl {summary.get('labctl_version')}")
    for role, ident in summary["instruments"].items():
        report.print(f"  {role}: {ident}")
    if summary["kind"] == "program":
        print_program_summary(summary)
    else:
        print_train_summary(summary)


@app.command()
def plot(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive.")],
    out: Annotated[Path | None, typer.Option(help="PNG path (default: the archive's).")] = None,
) -> None:
    """Re-make an archive's figures as PNG."""
    out = out or file.with_suffix(".png")
    with Archive(file) as archive:
        if archive.kind == "program":
            plot_program(archive, out)
        else:
            plot_train(archive, out)
    console.print(f"plot: {out}")
