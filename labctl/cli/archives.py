"""``labctl inspect`` and ``labctl plot``: read back any archive labctl writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from labctl.archive.paths import archive_path
from labctl.cli.app import app, console, report
from labctl.cli.disturb import print_disturb_summary
from labctl.cli.endurance import print_endurance_summary
from labctl.cli.iv import print_iv_summary
from labctl.cli.program import print_program_summary
from labctl.cli.read import print_read_summary
from labctl.cli.retention import print_retention_summary
from labctl.cli.sweep import print_sweep_summary
from labctl.cli.train import print_train_summary

_FIGURES: dict[str, Callable[[dict], None]] = {
    "program": print_program_summary, "train": print_train_summary, "read": print_read_summary,
    "sweep": print_sweep_summary, "iv": print_iv_summary, "retention": print_retention_summary,
    "endurance": print_endurance_summary, "disturb": print_disturb_summary}
"""How each kind of run prints its key figures."""


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive, or a sweep's folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Check an archive's every checksum, then summarise it: provenance, configuration,
    status and key figures (of a sweep: per grid point, over its seeds)."""
    from labctl.archive.reader import checked
    from labctl.reports import summarise
    from labctl.reports.sweep import json_safe

    with checked(archive_path(file)) as archive:
        summary = summarise(archive)
        if not as_json:
            _print_summary(summary, _FIGURES[archive.kind])
    if as_json:
        typer.echo(json.dumps(json_safe(summary), indent=2, sort_keys=True, default=float))


def _print_summary(summary: dict[str, Any], figures: Callable[[dict], None]) -> None:
    seed = summary["seed"]  # -1 in a sweep's index: each run has its own
    report.print(f"[bold]{summary['file']}[/]: {summary['kind']} run, {summary['status']}, "
                 f"backend {summary['backend']}" + (f", seed {seed}" if seed >= 0 else ""))
    report.print(f"  created {summary.get('created', '?')}, ended {summary.get('ended', '-')}, "
                 f"labctl {summary.get('labctl_version')} at {summary.get('git_revision')}")
    if "error" in summary:
        report.print(f"  error: {summary['error']}")
    if "progress" in summary:
        report.print(f"  progress: {summary['progress']}")
    env = summary.get("provenance", {})
    if env:
        report.print(f"  sample {env.get('sample') or '-'}, operator {env.get('operator')}, "
                     f"host {env.get('host')}")
    for role, ident in summary["instruments"].items():
        report.print(f"  {role}: {ident}")
    settings = summary["config"].get("spec", summary["config"])
    config = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in sorted(settings.items()))
    report.print(f"  {'spec' if 'spec' in summary['config'] else 'config'}: {config}",
                 soft_wrap=True)
    figures(summary)


@app.command()
def plot(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive, or a sweep's folder.")],
    out: Annotated[Path | None, typer.Option(
        help="PNG path (default: the archive's); for a sweep, a folder (default DIR/plots).")
    ] = None,
) -> None:
    """Re-make an archive's figures as PNG; a sweep's, one per figure against every swept
    option, and the accuracy of every task after every task as a heat map."""
    from labctl.archive.reader import checked
    from labctl.plots import figure_for
    from labctl.plots.sweep import plot_sweep

    path = archive_path(file)
    with checked(path) as archive:
        if archive.kind == "sweep":
            written = plot_sweep(archive, out or path.parent / "plots")
        else:
            written = [figure_for(archive.kind)(archive, out or file.with_suffix(".png"))]
    for png in written:
        console.print(f"plot: {png}")
