"""Compiled staircase of a quasi-static DC sweep on the simulated array.

A DC sweep holds each of its voltages for one step, and every step has the physics of a
pulse of that width (``RRAMArray.dc_sweep``). Step after step, cell after cell, that is a
loop: in numpy each step cost some twenty array operations on a handful of cells, about
55 µs, so a 100-point I-V branch spent 5 ms in simulation, more than its messages on the
wire. Here the loop over steps and cells is compiled (numba, cached beside this module). The
caller draws every random number beforehand, one set per step and cell, and computes
what depends only on the step's voltage (the SET completion, the RESET depth), so the result
depends only on the seed and the calls, as everywhere in the model.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

STUCK_NONE, STUCK_LRS, STUCK_HRS = 0, 1, 2
"""A cell's ``stuck`` code: switching, stuck at LRS, stuck at HRS."""


@numba.njit(cache=True)
def _relaxed(g_prog: float, t_prog: float, coef: float, clock: float, t0: float) -> float:
    """G(t) = G_prog + coef log10(1 + (t - t_prog) / t0), never negative."""
    return max(g_prog + coef * math.log10(1.0 + (clock - t_prog) / t0), 0.0)


@numba.njit(cache=True)
def staircase(
    v_cell: NDArray[np.float64], v_eff: NDArray[np.float64], set_on: NDArray[np.bool_],
    completion: NDArray[np.float64], reset_on: NDArray[np.bool_], depth: NDArray[np.float64],
    duration: float, clock: float,
    g_prog: NDArray[np.float64], t_prog: NDArray[np.float64], coef: NDArray[np.float64],
    formed: NDArray[np.bool_], stuck: NDArray[np.int8], writes: NDArray[np.int64],
    budget: NDArray[np.float64], v_form: NDArray[np.float64], g_cc: NDArray[np.float64],
    c2c: NDArray[np.float64], g_hrs: NDArray[np.float64], boundary: NDArray[np.float64],
    drive: NDArray[np.float64], i_cc: NDArray[np.float64],
    z_target: NDArray[np.float64], u_switch: NDArray[np.float64],
    z_spread: NDArray[np.float64], z_coef: NDArray[np.float64], z_read: NDArray[np.float64],
    relax: tuple[float, float, float], read_sigma: tuple[float, float], spread: float,
    amps: NDArray[np.float64],
) -> float:
    """Hold ``v_cell[k]`` for ``duration`` s, k = 0, 1, ...; write each step's end current
    into ``amps[k]`` and return the clock after the last step.

    Per step (arrays of steps): the effective voltage (|V| plus the width shift), whether it
    can SET or form (``set_on``) and with which completion, whether it can RESET and how
    deep (``depth``). Per cell (arrays of the selected cells, updated in place): the state
    ``g_prog``, ``t_prog``, ``coef`` (relaxation), ``formed``, ``stuck``, ``writes`` and the
    wear ``budget`` (pulses); the fixed ``v_form``, the compliance conductance ``g_cc`` and
    its relative spread ``c2c``, the HRS floor ``g_hrs``, the LRS/HRS ``boundary``, the
    RESET ``drive`` of the gate and the current limit ``i_cc``. Draws, shape (steps, cells):
    normals for the SET target, the RESET spread, a renewed relaxation coefficient and the
    read noise, uniforms for whether a SET completes. ``relax`` is (mu, sigma, t0),
    ``read_sigma`` (relative, absolute), ``spread`` the RESET depth's relative spread.

    SET is abrupt (the cell jumps to its target or not at all, never down), forming happens
    at the cell's forming voltage, RESET removes a fraction of the excess over the floor; a
    cell that crosses the LRS/HRS boundary counts a write, and a cell past its budget sticks
    where it was before the step.
    """
    mu, sigma, t0 = relax
    rel, floor_sigma = read_sigma
    steps, n = z_read.shape
    for k in range(steps):
        for j in range(n):
            if stuck[j] != STUCK_NONE:
                continue
            g_now = _relaxed(g_prog[j], t_prog[j], coef[j], clock, t0)
            g_new, switched = g_now, False
            if set_on[k] and i_cc[j] > 0.0:
                target = max(g_cc[j] * (1.0 + c2c[j] * z_target[k, j]), g_hrs[j])
                if not formed[j]:
                    if v_eff[k] >= v_form[j]:
                        formed[j] = True
                        g_new, switched = target, True
                elif u_switch[k, j] < completion[k] and target > g_now:
                    g_new = target
                    switched = (g_now > boundary[j]) != (target > boundary[j])
            elif reset_on[k] and formed[j] and g_now > g_hrs[j]:
                frac = min(max(depth[k] * drive[j] * (1.0 + spread * z_spread[k, j]), 0.0),
                           0.99)
                if frac > 0.0:
                    g_new = g_hrs[j] + (g_now - g_hrs[j]) * (1.0 - frac)
                    switched = (g_now > boundary[j]) != (g_new > boundary[j])
            if g_new != g_now or switched:
                g_prog[j], coef[j], t_prog[j] = g_new, mu + sigma * z_coef[k, j], clock
            if switched:
                writes[j] += 1
                if writes[j] > budget[j]:
                    g_prog[j], coef[j], t_prog[j] = g_now, 0.0, clock
                    stuck[j] = STUCK_LRS if g_now > boundary[j] else STUCK_HRS
        clock += duration
        for j in range(n):
            g = _relaxed(g_prog[j], t_prog[j], coef[j], clock, t0)
            current = v_cell[k] * (g + (rel * g + floor_sigma) * z_read[k, j])
            amps[k, j] = min(max(current, -i_cc[j]), i_cc[j])
    return clock
