"""``labctl inspect`` and ``labctl plot``: read back any archive labctl writes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from labctl.archive import Archive, ArchiveError
from labctl.cli.app import app, console, report
from labctl.cli.program import print_program_summary
from labctl.cli.train import print_train_summary
from labctl.plots.program import plot_program
from labctl.plots.train import plot_train
from labctl.reports import summarise


@contextmanager
def _reading(file: Path) -> Iterator[Archive]:
    """Open ``file`` and check its every checksum; content that does not fit the schema is
    one ArchiveError, not a crash."""
    with Archive(file) as archive:
        try:
            archive.verify()
            yield archive
        except (KeyError, IndexError, ValueError, TypeError, OSError) as err:
            raise ArchiveError(f"{file} does not hold what a {archive.kind} archive of schema "
                               f"{archive.schema_version} holds ({type(err).__name__}: {err}); "
                               "the file is damaged") from err


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Check an archive's every checksum, then summarise it: provenance, configuration,
    status and key figures."""
    with _reading(file) as archive:
        summary = summarise(archive)
        if not as_json:
            _print_summary(summary, print_program_summary if archive.kind == "program"
                           else print_train_summary)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, sort_keys=True, default=float))


def _print_summary(summary: dict[str, Any], figures: Callable[[dict], None]) -> None:
    report.print(f"[bold]{summary['file']}[/]: {summary['kind']} run, {summary['status']}, "
                 f"backend {summary['backend']}, seed {summary['seed']}")
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
    config = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in sorted(summary["config"].items()))
    report.print(f"  config: {config}", soft_wrap=True)
    figures(summary)


@app.command()
def plot(
    file: Annotated[Path, typer.Argument(help="A labctl .h5 archive.")],
    out: Annotated[Path | None, typer.Option(help="PNG path (default: the archive's).")] = None,
) -> None:
    """Re-make an archive's figures as PNG."""
    out = out or file.with_suffix(".png")
    with _reading(file) as archive:
        (plot_program if archive.kind == "program" else plot_train)(archive, out)
    console.print(f"plot: {out}")
