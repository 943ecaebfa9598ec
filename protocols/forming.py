"""Forming: one stepped-voltage pass per row over the pristine cells of a region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.fpga.client import FpgaLink
from drivers.roles import PulseGenerator
from drivers.safety import Reach
from protocols.addressing import by_row, connect_row, disconnect_row


@dataclass(frozen=True)
class FormingParams:
    """Forming pulses (V, s) and the conductance above which a cell counts as formed (S)."""

    v_start: float = 3.0
    v_step: float = 0.2
    v_max: float = 4.0
    gate: float = 1.2
    width: float = 1e-6
    v_read: float = 0.2
    g_formed: float = 0.3e-6
    """Pristine cells conduct ~1 nS; 0.3 uS is three read-noise sigmas above them and below
    all but ~0.1 % of formed cells at their HRS floor (which a forming pulse merely SETs)."""
    reads: int = 3
    """Reads averaged to tell formed from pristine. One read of a pristine cell on a chip
    with a 0.2 uS read floor reaches 0.3 uS 7 % of the time, and a cell taken for formed is
    never pulsed: the mean of three is 2.6 floor sigmas short of it (0.5 %)."""

    def voltages(self) -> NDArray[np.float64]:
        """The forming ramp, from v_start by v_step, never beyond v_max (V)."""
        steps = int(np.floor((self.v_max - self.v_start) / self.v_step + 1e-9)) + 1
        return np.minimum(self.v_start + self.v_step * np.arange(max(steps, 1)), self.v_max)

    def reaches(self) -> list[Reach]:
        """Every voltage forming applies and where: pulses from the pulse generator on the
        bit lines, the gate on the word line, board reads on the bit lines (V)."""
        top = float(np.max(self.voltages()))
        return [("ramp", "bit_line", top), ("ramp", "pulse", top), ("gate", "gate", self.gate),
                ("v_read", "bit_line", self.v_read)]


def form_cells(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64],
               rows: int, cols: int, params: FormingParams = FormingParams()
               ) -> NDArray[np.bool_]:
    """Form every pristine cell of ``cells``, stepping the voltage; returns which are formed.

    Cells already formed are left alone: forming is read first, never pulsed blindly. After
    each step only the cells still pristine are read again (a formed cell stays formed). The
    whole ramp is checked against the bench's limits before the first pulse.
    """
    fpga.interlock.check_batch("forming", params.reaches(), [("width", params.width)])
    cells = np.asarray(cells, dtype=np.int64)
    formed = _reads_formed(fpga, cells, params)
    for volts in params.voltages():
        pristine = np.flatnonzero(~formed)
        if not pristine.size:
            break
        pulse.configure_pulse(float(volts), params.width)
        for tile, row, row_cols in by_row(cells[pristine], rows, cols):
            connect_row(fpga, tile, row, row_cols, params.gate, reset=False)
            pulse.fire()
            disconnect_row(fpga, tile, row)
        formed[pristine] = _reads_formed(fpga, cells[pristine], params)
    fpga.safe_state()
    return formed


def _reads_formed(fpga: FpgaLink, cells: NDArray[np.int64], params: FormingParams
                  ) -> NDArray[np.bool_]:
    amps = sum(fpga.read_cells(cells, params.v_read) for _ in range(params.reads))
    return amps / (params.reads * params.v_read) >= params.g_formed
