"""Key figures of a retention run: level statistics, read-back error and relaxation vs time."""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.reports.program import plan_from_levels

FIT_FROM = 10.0
"""Read-backs from this many seconds on enter the relaxation fit, where log10(1 + t / t0)
and log10(t) agree to within 0.04 decades for t0 of about 1 s."""
THRESHOLDS = (0.01, 0.05)
"""Read-back errors whose crossing time is reported."""


def relaxation(table: np.ndarray, cells: np.ndarray) -> dict[str, float] | None:
    """Drift and spread of the relaxation per decade of time (S/decade): each cell's
    conductance is fitted against log10(t) over the read-backs from ``FIT_FROM`` on; the
    drift is the mean slope, the spread the slopes' standard deviation less what read noise
    adds to each slope."""
    late = table[(table["time"] >= FIT_FROM) & np.isin(table["cell"], cells)]
    if np.unique(late["read"]).size < 3:
        return None
    order = np.lexsort((late["read"], late["cell"]))
    late = late[order]
    n_cells = np.unique(late["cell"]).size
    x = np.log10(late["time"]).reshape(n_cells, -1)
    g = late["g"].reshape(n_cells, -1)
    xc = x - x.mean(axis=1, keepdims=True)
    sxx = (xc**2).sum(axis=1)
    slopes = (xc * (g - g.mean(axis=1, keepdims=True))).sum(axis=1) / sxx
    residual = g - g.mean(axis=1, keepdims=True) - slopes[:, None] * xc
    noise = (residual**2).sum(axis=1) / (x.shape[1] - 2) / sxx
    spread = float(np.sqrt(max(slopes.var(ddof=1) - noise.mean(), 0.0)))
    return {"drift_per_decade": float(slopes.mean()), "sigma_per_decade": spread,
            "cells": int(n_cells), "from": FIT_FROM}


def retention_summary(levels: np.ndarray, writes: np.ndarray, table: np.ndarray
                      ) -> dict[str, Any]:
    """The run's key figures (JSON-ready, S and s)."""
    plan = plan_from_levels(levels)
    written = writes["cell"][writes["success"]]
    reads = np.unique(table["read"])
    times, errors, per_level = [], [], []
    for read in reads:
        now = table[table["read"] == read]
        times.append(float(now["time"].mean()))
        errors.append(plan.readback_error(now["g"], now["level"]))
        per_level.append([{"mean": float(now["g"][now["level"] == lv].mean()),
                           "sigma": float(now["g"][now["level"] == lv].std())}
                          if np.any(now["level"] == lv) else None
                          for lv in range(plan.n_levels)])
    crossing = {f"{round(100 * t)}%": next((times[k] for k, e in enumerate(errors) if e >= t),
                                           None) for t in THRESHOLDS}
    return {"cells": int(np.unique(table["cell"]).size if table.size else writes.size),
            "levels": plan.n_levels, "tolerance": plan.tolerance,
            "write_success": float(writes["success"].mean()) if writes.size else None,
            "reads": int(reads.size), "times": times, "readback_error": errors,
            "per_level": per_level, "error_passes": crossing,
            "relaxation": relaxation(table, written)}
