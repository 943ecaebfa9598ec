"""Key figures of a run, recomputed from its archive (so a killed run is summarised too)."""

from __future__ import annotations

from typing import Any

from labctl.archive import Archive
from labctl.reports.program import program_summary
from labctl.reports.train import train_summary


def summarise(archive: Archive) -> dict[str, Any]:
    """The run's summary: what it stored when it finished, else recomputed from its tables."""
    head = {"file": str(archive.path), "kind": archive.kind, "status": archive.status,
            "backend": archive.backend, "seed": archive.seed,
            "schema_version": archive.schema_version, **{
                k: archive.meta[k] for k in ("created", "labctl_version", "git_revision")
                if k in archive.meta}, "instruments": archive.instruments}
    if archive.stored_summary is not None:
        return {**head, **archive.stored_summary}
    if archive.kind == "program":
        figures = program_summary(archive.table("levels"), archive.table("writes"),
                                  archive.table("verify"))
    else:
        figures = train_summary(archive)
    return {**head, **figures}
