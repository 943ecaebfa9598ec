"""Key figures of a run, recomputed from its archive (so a killed run is summarised too)."""

from __future__ import annotations

from typing import Any

from drivers.errors import ConfigError
from labctl.archive import Archive
from labctl.region import Region
from labctl.reports.program import program_summary
from labctl.reports.read import read_summary
from labctl.reports.train import evaluation_figures, evaluation_rows, train_summary


def summarise(archive: Archive) -> dict[str, Any]:
    """The run's summary: what it stored when it finished, else recomputed from its tables,
    with how far an unfinished run got."""
    head = {"file": str(archive.path), "kind": archive.kind, "status": archive.status,
            "backend": archive.backend, "seed": archive.seed,
            "schema_version": archive.schema_version, **{
                k: archive.meta[k] for k in ("created", "ended", "error", "labctl_version",
                                             "git_revision") if k in archive.meta},
            "instruments": archive.instruments, "provenance": archive.provenance,
            "config": archive.config}
    if archive.kind == "sweep":
        from labctl.reports.sweep import sweep_summary

        return {**head, **(archive.stored_summary or {}), **sweep_summary(archive)}
    if archive.stored_summary:
        return {**head, **archive.stored_summary, **_evaluation(archive)}
    if archive.kind == "program":
        figures = program_summary(archive.table("levels"), archive.table("writes"),
                                  archive.table("verify"))
        figures["progress"] = _cells_progress(archive, figures["cells"])
    elif archive.kind == "iv":
        from labctl.reports.iv import iv_summary

        figures = iv_summary(archive.table("switching"), int(archive.config["cycles"]))
        figures["progress"] = f"{figures['branches']} branches"
    elif archive.kind == "retention":
        from labctl.reports.retention import retention_summary

        figures = retention_summary(archive.table("levels"), archive.table("writes"),
                                    archive.table("retention"))
        figures["progress"] = (f"{figures['reads']} of {archive.config['reads']} read-backs")
    elif archive.kind == "endurance":
        from labctl.reports.endurance import endurance_summary

        c = archive.config
        figures = endurance_summary(archive.table("endurance"), float(c["min_window"]),
                                    int(c["cycles"]))
        figures["progress"] = (f"{figures['cycles_reached']:,} of {int(c['cycles']):,} cycles")
    elif archive.kind == "disturb":
        from labctl.reports.disturb import disturb_summary

        figures = disturb_summary(archive.table("levels"), archive.table("disturb"),
                                  str(archive.config["stress"]))
        figures["progress"] = (f"{len(figures['read_backs'])} of "
                               f"{int(archive.config['points']) + 1} read-backs")
    elif archive.kind == "read":
        figures = read_summary(archive.table("reads")["g"])
        figures["progress"] = _cells_progress(archive, figures["cells"])
    else:
        figures = train_summary(archive)
        figures["progress"] = _train_progress(archive, figures["epochs_completed"])
    return {**head, **figures}


def _evaluation(archive: Archive) -> dict[str, Any]:
    """A finished training run's read-backs by ``labctl evaluate``, if any."""
    rows = evaluation_rows(archive) if archive.kind == "train" else None
    if rows is None:
        return {}
    final = (archive.stored_summary or {}).get("final_accuracy", {})
    return {"evaluation": evaluation_figures(rows, list(archive.config["tasks"]), final)}


def _cells_progress(archive: Archive, written: int) -> str:
    c = archive.config
    try:
        region = Region.parse(int(c["tile"]), str(c["rows"]), str(c["cols"]))
    except (KeyError, ValueError, TypeError, ConfigError):
        return f"{written} cells"
    return f"{written} of {region.size} cells"


def _train_progress(archive: Archive, done: int) -> str:
    total = int(archive.config["epochs"]) * len(archive.config["tasks"])
    position = archive.array("checkpoint/position")
    resumable = bool(position[-1]) and done < total
    return f"{done} of {total} epochs" + (" (resumable: labctl train --resume FILE)"
                                          if resumable else "")
