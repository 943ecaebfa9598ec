"""The device physics of DEVICE_MODEL.md as functions of a ``DeviceModel``: no state, no
caches. ``RRAMArray`` keeps the cells' state and decides when to evaluate these; a new
device model is new parameters here or a new law here, not a change to the array.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mock_hw.params import DeviceModel

FloatArray = NDArray[np.float64]


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function, as the thresholds' softness uses it."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def width_shift(model: DeviceModel, width: float) -> float:
    """Threshold shift (V) of a pulse of ``width`` s from the reference width (voltage-time
    dilemma: ``volts_per_decade_width`` per decade)."""
    return _width_shift(width, model.width_reference, model.volts_per_decade_width)


@functools.lru_cache(maxsize=64)
def _width_shift(width: float, reference: float, per_decade: float) -> float:
    return per_decade * np.log10(width / reference)


def compliance_current(model: DeviceModel, v_gate: ArrayLike) -> FloatArray:
    """Saturation current of the access transistor at gate voltage ``v_gate`` (A): the
    alpha-power law k (V_G - V_th)^alpha [Sakurai90]."""
    over = np.maximum(np.asarray(v_gate, dtype=np.float64) - model.v_th, 0.0)
    return model.k_transistor * over**model.alpha


def c2c_rel_sigma(model: DeviceModel, i_cc: FloatArray) -> FloatArray:
    """Relative cycle-to-cycle spread of a SET at compliance ``i_cc``: log-linear between
    its values at ``i_cc_spread_low`` and ``i_cc_spread_high``, constant beyond."""
    span = float(np.log(model.i_cc_spread_high / model.i_cc_spread_low))
    x = np.minimum(np.maximum(np.log(np.maximum(i_cc, 1e-12) / model.i_cc_spread_low) / span,
                              0.0), 1.0)
    return model.c2c_rel_sigma_low + x * (model.c2c_rel_sigma_high - model.c2c_rel_sigma_low)


def set_completion(model: DeviceModel, v_eff: ArrayLike) -> FloatArray:
    """Mean fraction of the way to its target a SET at effective voltage ``v_eff`` takes a
    cell (for an abrupt DC step: the probability that it switches)."""
    return sigmoid((np.asarray(v_eff, dtype=np.float64) - model.v_set) / model.v_set_width)


def reset_drive(model: DeviceModel, v_gate: FloatArray | float) -> FloatArray:
    """How fully the access transistor at ``v_gate`` drives a RESET, 0 to 1."""
    return np.minimum(1.0, compliance_current(model, v_gate)
                      / compliance_current(model, model.v_gate_reset_full))


def reset_depth(model: DeviceModel, v_eff: FloatArray | float) -> FloatArray:
    """Median fraction of the excess over the HRS floor a fully driven RESET at effective
    voltage ``v_eff`` removes."""
    return model.reset_depth_max * sigmoid(np.asarray((v_eff - model.v_reset)
                                                      / model.v_reset_width))


def relaxed(model: DeviceModel, g_prog: FloatArray, coef: FloatArray, elapsed: FloatArray
            ) -> FloatArray:
    """G(t) = G_prog + coef log10(1 + t / t0) after ``elapsed`` s, never negative
    [Esmanhotto20]."""
    return np.maximum(g_prog + coef * np.log10(1.0 + elapsed / model.relax_t0), 0.0)


def read_sigma(model: DeviceModel, g: FloatArray) -> FloatArray:
    """Standard deviation of one read of conductance ``g`` (S): r G + sigma_0 [aihwkit]."""
    return model.read_rel_sigma * g + model.read_abs_sigma
