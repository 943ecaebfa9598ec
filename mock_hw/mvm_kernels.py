"""Compiled element-wise passes around the two matrix products of a noisy crossbar MVM.

Around its products a noisy MVM converts the row voltages to the simulation's precision,
squares them, checks them against the model's limit, and adds to each mean current the square
root of its variance times a standard normal. As separate numpy passes those steps cost as
much as the products themselves; here each group is one vectorized loop (numba, compiled on
first use and cached beside this module), so the whole MVM stays within twice the cost of a
bare float64 matmul (``benchmarks/bench_array.py``). No fast-math: results round exactly as
the numpy expressions they replace.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray


@numba.njit(cache=True)
def stage_inputs(v: NDArray[np.float64], v_out: NDArray[np.floating],
                 v2_out: NDArray[np.floating], v2_limit: float) -> bool:
    """Write ``v`` and its square in the outputs' dtype; whether every square is below the limit.

    False as well for NaN or infinite voltages, so a caller re-checks in float64 and reports.
    """
    within = True
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            v_out[i, j] = v[i, j]
            x = v_out[i, j]
            v2_out[i, j] = x * x
            within &= x * x < v2_limit
    return within


@numba.njit(cache=True)
def add_output_noise(mean: NDArray[np.floating], variance: NDArray[np.floating],
                     z: NDArray[np.floating], out: NDArray[np.floating]) -> None:
    """out = mean + sqrt(variance) * z, element by element (1-D, same length)."""
    for k in range(out.size):
        out[k] = mean[k] + np.sqrt(variance[k]) * z[k]
