"""Key figures of a programming run, computed from its archive tables."""

from __future__ import annotations

from typing import Any

import numpy as np

from protocols.levels import LevelPlan


def plan_from_levels(levels: np.ndarray) -> LevelPlan:
    """Rebuild the level plan stored in an archive's ``levels`` table."""
    c = np.sort(levels["centre"])
    tol = float(levels["hi"][0] - levels["centre"][0])
    return LevelPlan(float(c[0]), float(c[-1]), len(c), tol)


def program_summary(levels: np.ndarray, writes: np.ndarray, verify: np.ndarray) -> dict[str, Any]:
    """Per-level and overall statistics of a programming run (JSON-ready, SI units)."""
    if len(levels) == 0:  # killed before its level plan was recorded (schema 1)
        return {"cells": len(writes), "levels": 0, "tolerance": 0.0, "success_rate": 0.0,
                "pulses_mean": 0.0, "pulses_p95": 0.0, "readback_error": {},
                "per_level": []}
    plan = plan_from_levels(levels)
    per_level = []
    for lv in range(plan.n_levels):
        w = writes[writes["level"] == lv]
        g = w["g_final"][w["success"]]
        per_level.append({
            "level": lv,
            "target": float(plan.centres[lv]),
            "cells": len(w),
            "g_mean": float(g.mean()) if g.size else None,
            "g_sigma": float(g.std()) if g.size > 1 else None,
            "pulses_mean": float(w["pulses"].mean()) if len(w) else None,
            "pulses_p95": float(np.percentile(w["pulses"], 95)) if len(w) else None,
            "success_rate": float(w["success"].mean()) if len(w) else None,
        })
    readback = {}
    for delay in np.unique(verify["delay"]):
        v = verify[verify["delay"] == delay]
        readback[f"{delay:g}"] = plan.readback_error(v["g"], v["level"])
    n = len(writes)
    return {
        "cells": n,
        "levels": plan.n_levels,
        "tolerance": plan.tolerance,
        "success_rate": float(writes["success"].mean()) if n else 0.0,
        "pulses_mean": float(writes["pulses"].mean()) if n else 0.0,
        "pulses_p95": float(np.percentile(writes["pulses"], 95)) if n else 0.0,
        "set_pulses_mean": float(writes["set_pulses"].mean()) if n else 0.0,
        "reset_pulses_mean": float(writes["reset_pulses"].mean()) if n else 0.0,
        "energy_total": float(writes["energy"].sum()),
        "write_time_total": float(writes["time"].sum()),
        "readback_error": readback,
        "per_level": per_level,
    }
