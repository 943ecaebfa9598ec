"""Gate calibration: the median conductance one SET reaches at each gate voltage.

Write-verify converges in far fewer pulses when each cell's gate ramp starts just below the
gate that reaches its target, instead of at the bottom of the window. The calibration SETs a
sample of cells of one word line from a deep RESET at each gate voltage of a sweep and
records the median conductance. Every reading is kept, after each deep RESET too: they are
the chip's SET response to the gate and its RESET response, which ``labctl calibrate`` fits.
The RESET response to the gate is a sweep of its own (``measure_reset_response``): one RESET
pulse at each gate of a sweep, from the same SET state each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.client import FpgaLink
from drivers.fpga.writeverify import Scheme, WriteVerifyParams
from drivers.roles import PulseGenerator
from drivers.safety import Reach
from protocols.addressing import connect_row, disconnect_row

GATE_SWEEP = tuple(np.round(np.arange(0.6, 1.81, 0.05), 3))
"""Default gate voltages of the sweep (V)."""
RESET_GATE_FROM = 1.0
"""Lowest gate of the RESET-gate sweep (V): a tenth or so of the full RESET drive."""
RESET_GATE_STEPS = 12
"""Gate voltages of the RESET-gate sweep, from RESET_GATE_FROM to the write-verify's."""


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
    _check_sweep(fpga, "gate calibration", params, gates)
    tile, row, c = _word_line(cells, rows, cols)
    readings = np.empty((gates.size, cells.size))
    reset_readings = np.empty((gates.size, cells.size))
    try:
        for i, v_gate in enumerate(gates):
            _pulse_row(fpga, pulse, tile, row, c, params, params.reset_gate, reset=True,
                       repeats=2)
            reset_readings[i] = fpga.read_cells(cells, params.v_read) / params.v_read
            _pulse_row(fpga, pulse, tile, row, c, params, float(v_gate), reset=False)
            readings[i] = fpga.read_cells(cells, params.v_read) / params.v_read
    finally:
        fpga.safe_state()
    medians = np.median(readings, axis=1)
    return GateCalibration(gates, np.maximum.accumulate(medians), cells=cells,
                           readings=readings, reset_readings=reset_readings)


@dataclass(frozen=True)
class ResetResponse:
    """One RESET pulse at each gate voltage of a sweep (V), from a SET state: the readings
    before it and after it (S, one row per gate, one column per cell)."""

    gates: NDArray[np.float64]
    set_gate: float
    cells: NDArray[np.int64]
    before: NDArray[np.float64]
    after: NDArray[np.float64]


def reset_gate_sweep(reset_gate: float, steps: int = RESET_GATE_STEPS) -> NDArray[np.float64]:
    """The RESET-gate sweep up to the write-verify's RESET gate (V)."""
    return np.round(np.linspace(min(RESET_GATE_FROM, reset_gate), reset_gate, steps), 3)


def measure_reset_response(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64],
                           rows: int, cols: int, params: WriteVerifyParams, set_gate: float,
                           gates: ArrayLike | None = None) -> ResetResponse:
    """At each gate of ``gates`` (default: ``reset_gate_sweep``) on ``cells`` (one word line):
    a deep RESET, one SET at ``set_gate``, a read, one RESET pulse at the write-verify's
    ``reset_max`` and that gate, a read. Checked against the bench's limits before the first
    pulse; leaves the bench safe."""
    cells = np.asarray(cells, dtype=np.int64)
    gates = (reset_gate_sweep(params.reset_gate) if gates is None
             else np.asarray(gates, dtype=np.float64))
    _check_sweep(fpga, "RESET-gate sweep", params, gates, [("set gate", "gate", set_gate)])
    tile, row, c = _word_line(cells, rows, cols)
    before = np.empty((gates.size, cells.size))
    after = np.empty((gates.size, cells.size))
    try:
        for i, v_gate in enumerate(gates):
            _pulse_row(fpga, pulse, tile, row, c, params, params.reset_gate, reset=True,
                       repeats=2)
            _pulse_row(fpga, pulse, tile, row, c, params, set_gate, reset=False)
            before[i] = fpga.read_cells(cells, params.v_read) / params.v_read
            _pulse_row(fpga, pulse, tile, row, c, params, float(v_gate), reset=True)
            after[i] = fpga.read_cells(cells, params.v_read) / params.v_read
    finally:
        fpga.safe_state()
    return ResetResponse(gates, float(set_gate), cells, before, after)


def _check_sweep(fpga: FpgaLink, what: str, params: WriteVerifyParams, gates: NDArray[np.float64],
                 extra: Iterable[Reach] = ()) -> None:
    """Every voltage and width a sweep of ``gates`` applies, against the bench's limits."""
    fpga.interlock.check_batch(what, [
        ("reset_max", "source_line", params.reset_max), ("reset_max", "pulse", params.reset_max),
        ("reset_gate", "gate", params.reset_gate), ("sweep", "gate", float(np.max(gates))),
        *extra, ("v_set", "bit_line", params.v_set), ("v_set", "pulse", params.v_set),
        ("v_read", "bit_line", params.v_read)], params.widths())


def _word_line(cells: NDArray[np.int64], rows: int, cols: int
               ) -> tuple[int, int, NDArray[np.int64]]:
    """(tile, row, columns) of cells that share one word line."""
    tile, rest = divmod(int(cells[0]), rows * cols)
    return tile, rest // cols, cells % cols


def _pulse_row(fpga: FpgaLink, pulse: PulseGenerator, tile: int, row: int,
               cols: NDArray[np.int64], params: WriteVerifyParams, gate: float, *, reset: bool,
               repeats: int = 1) -> None:
    """``repeats`` SET pulses (``v_set``) or RESET pulses (``reset_max``) on one row's cells
    at ``gate``, then the row disconnected."""
    if reset:
        pulse.configure_pulse(params.reset_max, params.reset_width)
    else:
        pulse.configure_pulse(params.v_set, params.set_width)
    connect_row(fpga, tile, row, cols, gate, reset=reset)
    for _ in range(repeats):
        pulse.fire()
    disconnect_row(fpga, tile, row)
