"""Vectorized write-verify engine of the emulated firmware (SPEC.md section 6).

Every cell still in progress advances one iteration per loop turn - one verify, then one
SET or RESET pulse - with its own voltages, through ``RRAMArray.set_checked/reset_checked``
called once per turn on arrays (the firmware checked cells and voltages once per batch, so
the loop skips the array's per-call checks; the voltages it derives stay within the
block's ceilings). A real board programs the cells one after the other, so
bench time is accounted per cell and the simulated clock is moved to the sequential total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mock_hw.array import RRAMArray

ISPVA, IGVVA = 0, 1
MAX_WAITS = 4
"""Wait-then-verify rounds per batch (SPEC.md section 6)."""
_SET, _RESET = 1, -1

RESULT_DTYPE = np.dtype([("cell", "<u4"), ("success", "u1"), ("pulses", "<u2"),
                         ("set_pulses", "<u2"), ("reset_pulses", "<u2"), ("reversals", "<u2"),
                         ("g_final", "<f4"), ("energy", "<f4"), ("time", "<f4")])
"""Result record as it goes on the wire (25 bytes, packed, little-endian)."""

Reader = Callable[[NDArray[np.int64]], NDArray[np.float64]]
"""One averaged ADC read of cells, returning conductances (S)."""


@dataclass(frozen=True)
class Program:
    """The decoded WRITE_VERIFY parameter block."""

    scheme: int
    confirm: bool
    wait_verify: bool
    reads: int
    max_pulses: int
    v_read: float
    gate_start: float
    gate_step: float
    gate_max: float
    v_set: float
    set_start: float
    set_step: float
    set_max: float
    reset_gate: float
    reset_start: float
    reset_step: float
    reset_max: float
    set_width: float
    reset_width: float
    wait: float

    def volts(self) -> tuple[float, ...]:
        """Every voltage of the block, for the limit check."""
        return (self.v_read, self.gate_start, self.gate_step, self.gate_max, self.v_set,
                self.set_start, self.set_step, self.set_max, self.reset_gate, self.reset_start,
                self.reset_step, self.reset_max)


class _Batch:
    """Per-cell state of one batch."""

    def __init__(self, n: int) -> None:
        self.pulses = np.zeros(n, np.int64)
        self.n_set = np.zeros(n, np.int64)
        self.reversals = np.zeros(n, np.int64)
        self.run = np.zeros(n, np.int64)
        """Pulses in a row of the present polarity: the step index of its voltage ramp."""
        self.last = np.zeros(n, np.int8)
        self.g = np.zeros(n)
        self.energy = np.zeros(n)
        self.time = np.zeros(n)
        self.success = np.zeros(n, bool)
        self.pending = np.zeros(n, bool)
        self.busy = 0.0


def write_verify(array: RRAMArray, read: Reader, cells: NDArray[np.int64],
                 lo: NDArray[np.float64], hi: NDArray[np.float64],
                 gate0: NDArray[np.float64], p: Program) -> tuple[NDArray[np.void], float]:
    """Program ``cells`` into [lo, hi]; return wire result records and the batch time (s)."""
    b = _Batch(cells.size)
    t_start = array.clock
    read_cost = p.reads * array.model.read_time
    waits = 0

    def verify(sel: NDArray[np.int64]) -> NDArray[np.float64]:
        b.time[sel] += read_cost
        b.busy += read_cost * sel.size
        return read(cells[sel])

    active = np.arange(cells.size)
    while True:
        while active.size:
            active = _iterate(array, b, active, verify, cells, lo, hi, gate0, p)
        pend = b.pending.nonzero()[0]
        if not pend.size:
            break
        array.advance(p.wait)
        waits += 1
        b.time[pend] += p.wait
        b.pending[pend] = False
        g = verify(pend)
        b.g[pend] = g
        drifted = pend[(g < lo[pend]) | (g > hi[pend])]
        b.success[drifted] = False
        if waits < MAX_WAITS:
            active = drifted[b.pulses[drifted] < p.max_pulses]

    batch_time = b.busy + waits * p.wait
    array.advance(max(0.0, batch_time - (array.clock - t_start)))
    out = np.zeros(cells.size, RESULT_DTYPE)
    out["cell"] = cells
    out["success"] = b.success
    out["pulses"] = b.pulses
    out["set_pulses"] = b.n_set
    out["reset_pulses"] = b.pulses - b.n_set
    out["reversals"] = b.reversals
    out["g_final"] = b.g
    out["energy"] = b.energy
    out["time"] = b.time
    return out, batch_time


def _iterate(array: RRAMArray, b: _Batch, a: NDArray[np.int64],
             verify: Callable[[NDArray[np.int64]], NDArray[np.float64]],
             cells: NDArray[np.int64], lo: NDArray[np.float64], hi: NDArray[np.float64],
             gate0: NDArray[np.float64], p: Program) -> NDArray[np.int64]:
    """One verify and at most one pulse for each active cell ``a``; returns those still active.

    ``a`` stays in ascending order, so cells are visited (and draw their noise) in order.
    """
    g = verify(a)
    lo_a = lo[a]
    inside = (g >= lo_a) & (g <= hi[a])
    if p.confirm and np.count_nonzero(inside):
        again = verify(a[inside])
        g[inside] = again
        inside[inside] = (again >= lo_a[inside]) & (again <= hi[a[inside]])
    b.g[a] = g
    if np.count_nonzero(inside):
        accepted = a[inside]
        b.success[accepted] = True
        b.pending[accepted] = p.wait_verify
        out = ~inside
        a, g, lo_a = a[out], g[out], lo_a[out]
    spent = b.pulses[a] >= p.max_pulses
    if np.count_nonzero(spent):
        go = ~spent
        a, g, lo_a = a[go], g[go], lo_a[go]
    low = g < lo_a
    n_low = np.count_nonzero(low)
    if n_low == a.size:
        _set(array, b, a, cells, gate0, p)
    elif n_low == 0:
        _reset(array, b, a, cells, p)
    else:
        _set(array, b, a[low], cells, gate0, p)
        _reset(array, b, a[~low], cells, p)
    return a


def _ramp_step(b: _Batch, sel: NDArray[np.int64], polarity: int) -> NDArray[np.int64]:
    """Count reversals; the ramp index of this pulse (0 after a reversal or at the start)."""
    last = b.last[sel]
    b.reversals[sel] += last == -polarity
    k = np.where(last == polarity, b.run[sel], 0)
    b.run[sel] = k + 1
    b.last[sel] = polarity
    return k


def _set(array: RRAMArray, b: _Batch, s: NDArray[np.int64], cells: NDArray[np.int64],
         gate0: NDArray[np.float64], p: Program) -> None:
    k = _ramp_step(b, s, _SET)
    v_bl: NDArray[np.float64] | float
    if p.scheme == IGVVA:
        v_gate = np.minimum(gate0[s] + p.gate_step * k, p.gate_max)
        v_bl = p.v_set
    else:
        v_gate = gate0[s]
        v_bl = np.minimum(p.set_start + p.set_step * k, p.set_max)
    array.set_checked(cells[s], v_bl, v_gate, p.set_width)
    _count(b, s, v_bl, p.set_width)
    b.n_set[s] += 1


def _reset(array: RRAMArray, b: _Batch, r: NDArray[np.int64], cells: NDArray[np.int64],
           p: Program) -> None:
    k = _ramp_step(b, r, _RESET)
    v_sl = np.minimum(p.reset_start + p.reset_step * k, p.reset_max)
    array.reset_checked(cells[r], v_sl, p.reset_gate, p.reset_width)
    _count(b, r, v_sl, p.reset_width)


def _count(b: _Batch, sel: NDArray[np.int64], volts: NDArray[np.float64] | float,
           width: float) -> None:
    """Book one pulse: energy V^2 G t from the last verify, time, pulse count.

    G is a measurement, which read noise can push below 0; it is clamped at 0 so that the
    energy of a pulse is never negative (SPEC.md section 6).
    """
    b.energy[sel] += volts**2 * np.maximum(b.g[sel], 0.0) * width
    b.time[sel] += width
    b.busy += width * sel.size
    b.pulses[sel] += 1
