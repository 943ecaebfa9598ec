"""Gate calibration: the median conductance one SET reaches at each gate voltage.

Write-verify converges in far fewer pulses when each cell's gate ramp starts just below the
gate that reaches its target, instead of at the bottom of the window. The calibration SETs a
sample of cells (one per row and column, so no half-selected cell is disturbed) from a deep
RESET at each gate voltage of a sweep and records the median conductance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.client import FpgaLink
from drivers.fpga.writeverify import WriteVerifyParams
from drivers.roles import PulseGenerator
from protocols.addressing import connect_for_pulse

GATE_SWEEP = tuple(np.round(np.arange(0.6, 1.81, 0.05), 3))
"""Default gate voltages of the sweep (V)."""


@dataclass(frozen=True)
class GateCalibration:
    """Median conductance after one SET (S) against the gate voltage (V), non-decreasing."""

    gates: NDArray[np.float64]
    g_median: NDArray[np.float64]
    undershoot: float = 0.2

    def gate_for(self, g: ArrayLike) -> NDArray[np.float64]:
        """Gate voltage whose SET reaches conductance ``g`` in the median (V)."""
        return np.interp(np.asarray(g, dtype=np.float64), self.g_median, self.gates)

    def start_gate(self, lo: ArrayLike) -> NDArray[np.float64]:
        """Where a cell's IGVVA ramp starts: the gate that reaches ``lo`` minus the spread."""
        return self.gate_for(np.asarray(lo, dtype=np.float64) * (1.0 - self.undershoot))


def sample_cells(cells: NDArray[np.int64], rows: int, cols: int, size: int = 64
                 ) -> NDArray[np.int64]:
    """Up to ``size`` cells of ``cells`` on one tile with pairwise distinct rows and columns."""
    tile = cells // (rows * cols)
    row, col = np.divmod(cells % (rows * cols), cols)
    first = tile == tile[0]
    chosen: list[int] = []
    used_r: set[int] = set()
    used_c: set[int] = set()
    for i in np.flatnonzero(first):
        if row[i] not in used_r and col[i] not in used_c:
            chosen.append(int(cells[i]))
            used_r.add(int(row[i]))
            used_c.add(int(col[i]))
            if len(chosen) == size:
                break
    return np.array(chosen, dtype=np.int64)


def calibrate_gate(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64], rows: int,
                   cols: int, params: WriteVerifyParams,
                   gates: ArrayLike = GATE_SWEEP) -> GateCalibration:
    """Sweep the SET gate on ``cells`` (distinct rows and columns, one tile); leaves it safe."""
    cells = np.asarray(cells, dtype=np.int64)
    gates = np.asarray(gates, dtype=np.float64)
    tile = int(cells[0] // (rows * cols))
    r, c = np.divmod(cells % (rows * cols), cols)
    medians = np.empty(gates.size)
    try:
        for i, v_gate in enumerate(gates):
            connect_for_pulse(fpga, tile, cells, r, c, np.full(r.size, params.reset_gate),
                              reset=True)
            pulse.configure_pulse(params.reset_max, params.reset_width)
            pulse.fire()
            pulse.fire()
            connect_for_pulse(fpga, tile, cells, r, c, np.full(r.size, v_gate), reset=False)
            pulse.configure_pulse(params.v_set, params.set_width)
            pulse.fire()
            medians[i] = np.median(fpga.read_cells(cells, params.v_read)) / params.v_read
    finally:
        fpga.safe_state()
    return GateCalibration(gates, np.maximum.accumulate(medians))
