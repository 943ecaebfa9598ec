"""Figures of an endurance run: the window against cycles and the cycles-to-failure
distribution with its Weibull fit, from the archive's ``endurance`` table alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

_LOG_WEIBULL_SPREAD = np.pi / np.sqrt(6.0)
"""Standard deviation of ln T times the shape, for a Weibull lifetime T."""
_EULER_GAMMA = 0.5772156649015329
"""ln(scale) - E[ln T] times the shape, for a Weibull lifetime T."""


@dataclass(frozen=True)
class Lifetimes:
    """Per cell: the last read point it passed and, if it failed, the one it failed at.

    A cell that failed at ``failed`` cycles was last seen working at ``last_good`` (0 if it
    failed at the first read): its cycles-to-failure lie in (last_good, failed]. A cell still
    working was last read at ``last_good`` and has ``failed`` 0 (right-censored)."""

    cells: NDArray[np.int64]
    last_good: NDArray[np.int64]
    failed: NDArray[np.int64]

    @property
    def has_failed(self) -> NDArray[np.bool_]:
        return self.failed > 0


def point_windows(table: NDArray) -> NDArray:
    """One row per cell per read point: its last probed ``cycle`` and best ``window`` (S)."""
    key = table["cell"].astype(np.int64) << 16 | table["point"]
    keys, inverse = np.unique(key, return_inverse=True)
    out = np.zeros(keys.size, [("cell", "<i8"), ("point", "<i8"), ("cycle", "<i8"),
                               ("window", "<f8")])
    out["cell"], out["point"] = keys >> 16, keys & 0xFFFF
    out["cycle"] = np.zeros(keys.size, np.int64)
    np.maximum.at(out["cycle"], inverse, table["cycle"].astype(np.int64))
    out["window"] = -np.inf
    np.maximum.at(out["window"], inverse, table["g_lrs"] - table["g_hrs"])
    return out


def lifetimes(table: NDArray, min_window: float) -> Lifetimes:
    """Each cell's lifetime from its rows of the ``endurance`` table: it failed at the first
    read point where none of its probed cycles opened a window of ``min_window``."""
    if not table.size:
        empty = np.zeros(0, np.int64)
        return Lifetimes(empty, empty, empty)
    rows = point_windows(table)  # sorted by cell, then point
    cells, starts = np.unique(rows["cell"], return_index=True)
    ends = np.r_[starts[1:], rows.size] - 1
    cycle = rows["cycle"]
    bad = rows["window"] < min_window
    failed = np.zeros(cells.size, np.int64)
    last_good = np.zeros(cells.size, np.int64)
    for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
        below = np.flatnonzero(bad[start:end + 1])
        if below.size:
            first = start + below[0]
            failed[k] = cycle[first]
            last_good[k] = cycle[first - 1] if first > start else 0
        else:
            last_good[k] = cycle[end]
    return Lifetimes(cells.astype(np.int64), last_good, failed)


def weibull_fit(life: Lifetimes) -> dict[str, float] | None:
    """Maximum-likelihood two-parameter Weibull of cycles-to-failure: failures as the
    intervals (last good read, failing read], survivors right-censored at their last read.
    Cells that failed at the first read never cycled (stuck from the start) and are left
    out. None with fewer than two failures to fit."""
    from scipy.stats import CensoredData, weibull_min

    cycled = life.last_good > 0
    failed = life.has_failed & cycled
    if np.count_nonzero(failed) < 2:
        return None
    data = CensoredData(interval=np.column_stack([life.last_good[failed],
                                                  life.failed[failed]]).astype(float),
                        right=life.last_good[cycled & ~life.has_failed].astype(float))
    # start from the moments of log lifetime (failures at the geometric middle of their
    # interval): scipy's default start (shape 1, scale 1) does not reach lifetimes of 1e6
    logs = np.log(np.sqrt(life.last_good[failed] * life.failed[failed].astype(float)))
    shape0 = min(max(_LOG_WEIBULL_SPREAD / max(float(np.std(logs)), 1e-3), 0.2), 20.0)
    scale0 = float(np.exp(np.mean(logs) + _EULER_GAMMA / shape0))
    with np.errstate(divide="ignore"):  # log of a vanishing interval probability while searching
        shape, _, scale = weibull_min.fit(data, shape0, floc=0, scale=scale0)
    return {"shape": float(shape), "scale": float(scale),
            "median": float(scale * np.log(2.0) ** (1.0 / shape)),
            "cells": int(np.count_nonzero(cycled)), "failures": int(np.count_nonzero(failed))}


def endurance_summary(table: NDArray, min_window: float, cycles: int) -> dict[str, Any]:
    """Window statistics at every read point (the best window of each cell's probed cycles;
    G_LRS and G_HRS over every probe), the lifetimes and their Weibull fit."""
    life = lifetimes(table, min_window)
    best = point_windows(table)
    points = []
    for point in np.unique(table["point"]):
        at, mine = table[table["point"] == point], best[best["point"] == point]
        points.append({"cycle": int(at["cycle"].max()), "cells": int(mine.size),
                       "window_median": float(np.median(mine["window"])),
                       "g_lrs_median": float(np.median(at["g_lrs"])),
                       "g_hrs_median": float(np.median(at["g_hrs"])),
                       "below_min": int(np.count_nonzero(mine["window"] < min_window))})
    first = life.has_failed & (life.last_good == 0)
    return {"cells": int(life.cells.size), "cycles": int(cycles),
            "cycles_reached": int(table["cycle"].max()) if table.size else 0,
            "min_window": float(min_window), "read_points": points,
            "failed": int(np.count_nonzero(life.has_failed)),
            "failed_at_first_read": int(np.count_nonzero(first)),
            "weibull": weibull_fit(life)}
