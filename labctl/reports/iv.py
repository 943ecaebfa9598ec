"""Key figures of an I-V run: switching voltages and resistances over cells and cycles."""

from __future__ import annotations

from typing import Any

import numpy as np

from protocols.iv import Branch

FIGURES = {"v_form": (Branch.FORM, "v_switch"), "v_set": (Branch.SET, "v_switch"),
           "v_reset": (Branch.RESET, "v_switch"), "r_off": (Branch.SET, "r_before"),
           "r_on": (Branch.RESET, "r_before")}
"""Each figure: the branch it comes from and its column of the switching table."""


def distribution(values: np.ndarray) -> dict[str, float | int]:
    """Count, mean, std, median, p10 and p90 of the finite ``values``."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"count": 0}
    p10, median, p90 = (float(x) for x in np.percentile(finite, [10, 50, 90]))
    return {"count": int(finite.size), "mean": float(finite.mean()),
            "std": float(finite.std()), "median": median, "p10": p10, "p90": p90}


def iv_summary(switching: np.ndarray, cycles: int) -> dict[str, Any]:
    """The run's key figures from its switching table (JSON-ready; V and Ω)."""
    cells = np.unique(switching["cell"]).size
    figures = {name: distribution(switching[column][switching["branch"] == branch])
               for name, (branch, column) in FIGURES.items()}
    sets = switching[switching["branch"] == Branch.SET]
    resets = switching[switching["branch"] == Branch.RESET]
    paired = _on_off(sets, resets)
    return {"cells": int(cells), "cycles": cycles, "branches": int(switching.size),
            **figures,
            "set_yield": float(np.isfinite(sets["v_switch"]).mean()) if sets.size else None,
            "reset_yield": (float(np.isfinite(resets["v_switch"]).mean())
                            if resets.size else None),
            "on_off_ratio": distribution(paired)}


def _on_off(sets: np.ndarray, resets: np.ndarray) -> np.ndarray:
    """R_off / R_on of every cycle that has both branches."""
    key = {(int(c), int(k)): float(r) for c, k, r in
           zip(resets["cell"], resets["cycle"], resets["r_before"], strict=True)}
    return np.array([r / key[(int(c), int(k))] for c, k, r in
                     zip(sets["cell"], sets["cycle"], sets["r_before"], strict=True)
                     if (int(c), int(k)) in key and key[(int(c), int(k))] > 0])
