"""Key figures of a read of a region: the conductance distribution of its cells."""

from __future__ import annotations

from typing import Any

import numpy as np


def read_summary(g: np.ndarray) -> dict[str, Any]:
    """How many cells were read and the statistics of their conductances ``g`` (JSON-ready,
    S)."""
    if g.size == 0:
        return {"cells": 0}
    p5, median, p95 = (float(x) for x in np.percentile(g, [5, 50, 95]))
    return {"cells": int(g.size), "g_mean": float(g.mean()), "g_sigma": float(g.std()),
            "g_min": float(g.min()), "g_p5": p5, "g_median": median, "g_p95": p95,
            "g_max": float(g.max())}
