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
        self.n_reset = np.zeros(n, np.int64)
        self.reversals = np.zeros(n, np.int64)
        self.k_set = np.zeros(n, np.int64)
        self.k_reset = np.zeros(n, np.int64)
        self.last = np.zeros(n, np.int8)
        self.g = np.zeros(n)
        self.energy = np.zeros(n)
        self.time = np.zeros(n)
        self.success = np.zeros(n, bool)
        self.active = np.ones(n, bool)
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

    while True:
        while b.active.any():
            _iterate(array, b, np.flatnonzero(b.active), verify, cells, lo, hi, gate0, p)
        pend = np.flatnonzero(b.pending)
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
            b.active[drifted[b.pulses[drifted] < p.max_pulses]] = True

    batch_time = b.busy + waits * p.wait
    array.advance(max(0.0, batch_time - (array.clock - t_start)))
    out = np.zeros(cells.size, RESULT_DTYPE)
    out["cell"] = cells
    out["success"] = b.success
    out["pulses"] = b.pulses
    out["set_pulses"] = b.n_set
    out["reset_pulses"] = b.n_reset
    out["reversals"] = b.reversals
    out["g_final"] = b.g
    out["energy"] = b.energy
    out["time"] = b.time
    return out, batch_time


def _iterate(array: RRAMArray, b: _Batch, a: NDArray[np.int64],
             verify: Callable[[NDArray[np.int64]], NDArray[np.float64]],
             cells: NDArray[np.int64], lo: NDArray[np.float64], hi: NDArray[np.float64],
             gate0: NDArray[np.float64], p: Program) -> None:
    """One verify and at most one pulse for each active cell ``a``."""
    g = verify(a)
    lo_a = lo[a]
    inside = (g >= lo_a) & (g <= hi[a])
    if p.confirm and inside.any():
        again = verify(a[inside])
        g[inside] = again
        inside[inside] = (again >= lo_a[inside]) & (again <= hi[a[inside]])
    b.g[a] = g
    if inside.any():
        accepted = a[inside]
        b.active[accepted] = False
        b.success[accepted] = True
        b.pending[accepted] = p.wait_verify
        out = ~inside
        a, g, lo_a = a[out], g[out], lo_a[out]
    spent = b.pulses[a] >= p.max_pulses
    if spent.any():
        b.active[a[spent]] = False
        go = ~spent
        a, g, lo_a = a[go], g[go], lo_a[go]
    low = g < lo_a
    _set(array, b, a[low], cells, gate0, p)
    _reset(array, b, a[~low], cells, p)


def _set(array: RRAMArray, b: _Batch, s: NDArray[np.int64], cells: NDArray[np.int64],
         gate0: NDArray[np.float64], p: Program) -> None:
    if not s.size:
        return
    reversal = b.last[s] == _RESET
    b.reversals[s] += reversal
    k = np.where(reversal, 0, b.k_set[s])
    v_bl: NDArray[np.float64] | float
    if p.scheme == IGVVA:
        v_gate = np.minimum(gate0[s] + p.gate_step * k, p.gate_max)
        v_bl = p.v_set
    else:
        v_gate = gate0[s]
        v_bl = np.minimum(p.set_start + p.set_step * k, p.set_max)
    array.set_checked(cells[s], v_bl, v_gate, p.set_width)
    _count(b, s, v_bl, p.set_width, _SET)
    b.k_set[s] = k + 1
    b.n_set[s] += 1


def _reset(array: RRAMArray, b: _Batch, r: NDArray[np.int64], cells: NDArray[np.int64],
           p: Program) -> None:
    if not r.size:
        return
    reversal = b.last[r] == _SET
    b.reversals[r] += reversal
    k = np.where(reversal, 0, b.k_reset[r])
    v_sl = np.minimum(p.reset_start + p.reset_step * k, p.reset_max)
    array.reset_checked(cells[r], v_sl, p.reset_gate, p.reset_width)
    _count(b, r, v_sl, p.reset_width, _RESET)
    b.k_reset[r] = k + 1
    b.n_reset[r] += 1


def _count(b: _Batch, sel: NDArray[np.int64], volts: NDArray[np.float64] | float, width: float,
           polarity: int) -> None:
    """Book one pulse: energy V^2 G t from the last verify, time, counters, polarity."""
    b.energy[sel] += volts**2 * b.g[sel] * width
    b.time[sel] += width
    b.busy += width * sel.size
    b.pulses[sel] += 1
    b.last[sel] = polarity
