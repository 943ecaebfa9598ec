"""What every characterization command does once its request is checked: run it on the bench
into its archive, print its key figures and, asked to, draw them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from labctl.archive.paths import default_path
from labctl.cli.app import console
from labctl.cli.progress import phase_progress

Archived = Callable[..., dict[str, Any]]
"""``<kind>_archived(config, bench, out, provenance, progress)``: the run, into ``out``."""


def run_archived(kind: str, config: Any, archived: Archived, print_summary: Callable[[dict], None],
                 *, backend: str, setup: Path | None, out: Path | None, plot: bool,
                 sample: str | None, operator: str | None) -> None:
    """Open the bench (seeded, with the config's device overrides), run ``archived`` with a
    progress bar into ``out`` (default ``runs/<kind>-<time>.h5``), print its summary, and
    with ``plot`` write the run's figure next to the archive."""
    from labctl.backends import open_bench, run_provenance

    out = out or default_path(kind)
    with (open_bench(backend, setup, config.seed, device=config.device) as bench,
          phase_progress() as progress):
        summary = archived(config, bench, out, run_provenance(setup, sample, operator, bench),
                           progress)
    print_summary(summary)
    console.print(f"archive: {out}")
    if plot:
        from labctl.archive import Archive
        from labctl.plots import figure_for

        with Archive(out) as archive:
            console.print(f"plot: {figure_for(kind)(archive, out.with_suffix('.png'))}")
