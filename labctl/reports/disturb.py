"""Key figures of a disturb run: how far the stressed cells moved against the unstressed
controls as the stress grew, per level and in all, from the archive's tables alone."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labctl.reports.program import plan_from_levels
from protocols.levels import LevelPlan


def disturb_summary(levels: NDArray, table: NDArray, stress: str) -> dict[str, Any]:
    """Per read-back: the mean change of G since the read-back before any stress of the
    stressed cells and of the controls (S), their difference (the disturb, relaxation
    cancelled), the fraction of each that moved by more than a band's half-width, and the
    read-back error; per level, the same changes at the last read-back."""
    plan = plan_from_levels(levels)
    order = np.lexsort((table["cell"], table["point"]))
    rows = table[order]
    points = np.unique(rows["point"])
    n = np.count_nonzero(rows["point"] == points[0]) if points.size else 0
    by_point = rows.reshape(points.size, n) if points.size else rows.reshape(0, 0)
    stressed = by_point[0]["stressed"] if points.size else np.zeros(0, bool)
    start = by_point[0]["g"] if points.size else np.zeros(0)
    out = []
    for now in by_point:
        change = now["g"] - start
        moved = np.abs(change) > plan.tolerance
        drift_s, drift_c = (float(change[group].mean()) if group.any() else None
                            for group in (stressed, ~stressed))
        out.append({"stress": float(now["stress"][0]), "time": float(now["time"][0]),
                    "drift_stressed": drift_s, "drift_control": drift_c,
                    "disturb": (None if drift_s is None or drift_c is None
                                else drift_s - drift_c),
                    "moved_stressed": _fraction(moved, stressed),
                    "moved_control": _fraction(moved, ~stressed),
                    "error_stressed": _error(plan, now, stressed),
                    "error_control": _error(plan, now, ~stressed)})
    per_level = []
    if points.size:
        change = by_point[-1]["g"] - start
        for level in range(plan.n_levels):
            mine = by_point[-1]["level"] == level
            per_level.append({"level": level, **{
                f"drift_{name}": float(change[mine & group].mean()) if np.any(mine & group)
                else None for name, group in (("stressed", stressed), ("control", ~stressed))}})
    return {"cells": int(n), "stressed": int(np.count_nonzero(stressed)),
            "controls": int(np.count_nonzero(~stressed)), "stress": stress,
            "levels": plan.n_levels, "tolerance": plan.tolerance, "read_backs": out,
            "per_level": per_level}


def _fraction(mask: NDArray[np.bool_], group: NDArray[np.bool_]) -> float | None:
    return float(mask[group].mean()) if group.any() else None


def _error(plan: LevelPlan, now: NDArray, group: NDArray[np.bool_]) -> float | None:
    return plan.readback_error(now["g"][group], now["level"][group]) if group.any() else None
