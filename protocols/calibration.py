"""Gate calibration: the median conductance one SET reaches at each gate voltage.

Write-verify converges in far fewer pulses when each cell's gate ramp starts just below the
gate that reaches its target, instead of at the bottom of the window. The calibration SETs a
sample of cells of one word line from a deep RESET at each gate voltage of a sweep and
records the median conductance. Every reading is kept, after each deep RESET too: they are
the chip's SET response to the gate and its RESET response, which ``labctl calibrate`` fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.client import FpgaLink
from drivers.fpga.writeverify import Scheme, WriteVerifyParams
from drivers.roles import PulseGenerator
from protocols.addressing import connect_row, disconnect_row

GATE_SWEEP = tuple(np.round(np.arange(0.6, 1.81, 0.05), 3))
"""Default gate voltages of the sweep (V)."""


@dataclass(frozen=True)
class GateCalibration:
    """Median conductance after one SET (S) against the gate voltage (V), non-decreasing,
    the readings it is the median of (S, one row per gate, one column per cell) and the
    readings after the deep RESET before each SET (S, the same shape)."""

    gates: NDArray[np.float64]
    g_median: NDArray[np.float64]
    undershoot: float = 0.2
    cells: NDArray[np.int64] | None = None
    readings: NDArray[np.float64] | None = None
    reset_readings: NDArray[np.float64] | None = None

    def gate_for(self, g: ArrayLike) -> NDArray[np.float64]:
        """Gate voltage whose SET reaches conductance ``g`` in the median (V)."""
        return np.interp(np.asarray(g, dtype=np.float64), self.g_median, self.gates)

    def start_gate(self, lo: ArrayLike, hi: ArrayLike, scheme: Scheme) -> NDArray[np.float64]:
        """Each cell's SET gate: for IGVVA where its ramp starts, just below the gate that
        reaches ``lo``; for ISPVA the fixed gate, whose compliance lies just above ``hi`` so
        that the bit-line ramp approaches the band from below."""
        if scheme == Scheme.IGVVA:
            return self.gate_for(np.asarray(lo, dtype=np.float64) * (1.0 - self.undershoot))
        return self.gate_for(np.asarray(hi, dtype=np.float64) * (1.0 + self.undershoot))


def sample_cells(cells: NDArray[np.int64], cols: int, size: int = 64
                 ) -> NDArray[np.int64]:
    """Up to ``size`` cells of ``cells`` on the word line holding the most of them.

    One word line is pulsed at a time, so the sample shares a row and differs in columns.
    """
    tile_row = np.asarray(cells, dtype=np.int64) // cols
    keys, counts = np.unique(tile_row, return_counts=True)
    chosen = cells[tile_row == keys[np.argmax(counts)]]
    return chosen[np.linspace(0, chosen.size - 1, min(size, chosen.size)).astype(np.int64)]


def calibrate_gate(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64], rows: int,
                   cols: int, params: WriteVerifyParams,
                   gates: ArrayLike = GATE_SWEEP) -> GateCalibration:
    """Sweep the SET gate on ``cells`` (one word line); leaves the bench safe.

    The whole sweep is checked against the bench's limits before the first pulse.
    """
    cells = np.asarray(cells, dtype=np.int64)
    gates = np.asarray(gates, dtype=np.float64)
    fpga.interlock.check_batch("gate calibration", [
        ("reset_max", "source_line", params.reset_max), ("reset_max", "pulse", params.reset_max),
        ("reset_gate", "gate", params.reset_gate), ("sweep", "gate", float(np.max(gates))),
        ("v_set", "bit_line", params.v_set), ("v_set", "pulse", params.v_set),
        ("v_read", "bit_line", params.v_read)], params.widths())
    tile, rest = divmod(int(cells[0]), rows * cols)
    row = rest // cols
    c = cells % cols
    readings = np.empty((gates.size, cells.size))
    reset_readings = np.empty((gates.size, cells.size))
    try:
        for i, v_gate in enumerate(gates):
            pulse.configure_pulse(params.reset_max, params.reset_width)
            connect_row(fpga, tile, row, c, params.reset_gate, reset=True)
            pulse.fire()
            pulse.fire()
            disconnect_row(fpga, tile, row)
            reset_readings[i] = fpga.read_cells(cells, params.v_read) / params.v_read
            pulse.configure_pulse(params.v_set, params.set_width)
            connect_row(fpga, tile, row, c, float(v_gate), reset=False)
            pulse.fire()
            disconnect_row(fpga, tile, row)
            readings[i] = fpga.read_cells(cells, params.v_read) / params.v_read
    finally:
        fpga.safe_state()
    medians = np.median(readings, axis=1)
    return GateCalibration(gates, np.maximum.accumulate(medians), cells=cells,
                           readings=readings, reset_readings=reset_readings)
