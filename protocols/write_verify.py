"""Host-driven write-verify: the algorithm of the FPGA link spec (section 6), one pulse at a time.

The FPGA-offloaded mode runs the same algorithm in firmware from the same parameter block
and returns the same result record; this module runs it on the host through the external
instruments, so the two modes can be compared cell for cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from drivers.fpga.writeverify import (
    CELL_RESULT_DTYPE,
    MAX_WAITS,
    CellResults,
    Scheme,
    WriteVerifyParams,
)


class HostOps(Protocol):
    """What host-driven write-verify needs from a bench, one cell at a time."""

    def read(self, cell: int, v_read: float, reads: int) -> float:
        """Averaged conductance of ``cell`` (S)."""

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        """One SET pulse on the cell's bit line, its gate at ``v_gate``."""

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        """One RESET pulse on the cell's source line, its gate at ``v_gate``."""

    def wait(self, seconds: float) -> None:
        """Let time pass (relaxation) before verifying again."""

    def clock(self) -> float:
        """Bench time so far (s)."""


@dataclass
class _Cell:
    """One cell's progress through the algorithm; the counters survive a wait."""

    cell: int
    lo: float
    hi: float
    gate_start: float
    pulses: int = 0
    set_pulses: int = 0
    reset_pulses: int = 0
    reversals: int = 0
    k_set: int = 0
    k_reset: int = 0
    last: str = ""
    g: float = math.nan
    energy: float = 0.0
    time: float = 0.0
    success: bool = False

    def in_band(self, g: float) -> bool:
        return self.lo <= g <= self.hi


def _step(c: _Cell, p: WriteVerifyParams, ops: HostOps) -> None:
    """Run the cell until it is accepted or its pulse budget is spent."""
    t0 = ops.clock()
    while True:
        c.g = ops.read(c.cell, p.v_read, p.reads)
        if c.in_band(c.g) and p.confirm:
            c.g = ops.read(c.cell, p.v_read, p.reads)
        if c.in_band(c.g):
            c.success = True
            break
        if c.pulses >= p.max_pulses:
            c.success = False
            break
        if c.g < c.lo:
            if c.last == "reset":
                c.reversals += 1
                c.k_set = 0
            if p.scheme == Scheme.IGVVA:
                v_gate, volts = min(c.gate_start + c.k_set * p.gate_step, p.gate_max), p.v_set
            else:
                v_gate, volts = c.gate_start, min(p.set_start + c.k_set * p.set_step, p.set_max)
            ops.set_pulse(c.cell, volts, v_gate, p.set_width)
            c.k_set += 1
            c.set_pulses += 1
            c.last, width = "set", p.set_width
        else:
            if c.last == "set":
                c.reversals += 1
                c.k_reset = 0
            volts = min(p.reset_start + c.k_reset * p.reset_step, p.reset_max)
            ops.reset_pulse(c.cell, volts, p.reset_gate, p.reset_width)
            c.k_reset += 1
            c.reset_pulses += 1
            c.last, width = "reset", p.reset_width
        c.pulses += 1
        c.energy += volts * volts * max(c.g, 0.0) * width  # a noisy G may read below 0
    c.time += ops.clock() - t0


def _verify_after_wait(c: _Cell, p: WriteVerifyParams, ops: HostOps) -> bool:
    """Verify an accepted cell again after a wait; it stays successful only if in band."""
    t0 = ops.clock()
    c.g = ops.read(c.cell, p.v_read, p.reads)
    c.time += p.wait + ops.clock() - t0
    c.success = c.in_band(c.g)
    return c.success


def write_verify_host(cells: Sequence[int], lo: Sequence[float], hi: Sequence[float],
                      params: WriteVerifyParams, ops: HostOps,
                      gate_start: Sequence[float] | None = None,
                      on_result: Callable[[CellResults], None] | None = None) -> CellResults:
    """Program each cell into its band [lo, hi] (S); one result record per cell.

    With ``params.wait`` > 0 the batch is verified again after the wait, and cells that
    drifted out of band resume with their remaining pulses and are waited for again, at most
    ``MAX_WAITS`` waits in all, as the firmware does (SPEC.md section 6). ``on_result`` gets
    each cell's record as soon as it is final (at once without a wait, after the waits with
    one), so a caller can archive a long batch as it goes.
    """
    starts = [params.gate_start] * len(cells) if gate_start is None else gate_start
    state = [_Cell(int(c), float(a), float(b), params.gate_start if math.isnan(g) else float(g))
             for c, a, b, g in zip(cells, lo, hi, starts, strict=True)]
    for c in state:
        _step(c, params, ops)
        if on_result is not None and params.wait == 0:
            on_result(_records([c]))
    pending = [c for c in state if c.success] if params.wait > 0 else []
    waits = 0
    while pending:
        ops.wait(params.wait)
        waits += 1
        drifted = [c for c in pending if not _verify_after_wait(c, params, ops)]
        pending = []
        if waits < MAX_WAITS:
            for c in drifted:
                if c.pulses < params.max_pulses:
                    _step(c, params, ops)
                    if c.success:
                        pending.append(c)
    out = _records(state)
    if on_result is not None and params.wait > 0:
        on_result(out)
    return out


def _records(state: Sequence[_Cell]) -> CellResults:
    out = np.zeros(len(state), CELL_RESULT_DTYPE)
    for i, c in enumerate(state):
        out[i] = (c.cell, c.success, c.pulses, c.set_pulses, c.reset_pulses, c.reversals,
                  c.g, c.energy, c.time)
    return out
