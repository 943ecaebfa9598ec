"""The simulated bench: one array and the switch matrix the instruments act through.

The FPGA emulator owns the addressing (selected cells, word-line gate voltages, and where
each bit line and source line is routed); the pulse-generator emulator fires pulses and the
SMU emulator measures currents through whatever that routing connects, as on the real bench.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mock_hw.array import RRAMArray
from mock_hw.errors import ModelParameterError


class Route(IntEnum):
    """Where the switch matrix connects one bit line or source line."""

    GROUND = 0
    FLOAT = 1
    SMU = 2
    PULSE = 3


class SimulatedBench:
    """Routing state of the simulated chip's switch matrix, plus the array it connects."""

    def __init__(self, array: RRAMArray) -> None:
        self.array = array
        tiles, rows, cols = array.shape
        self.selected_cells = np.empty(0, dtype=np.int64)
        """Flat indices of the addressed cells, sorted (kept as indices: a mask over every
        cell of a large chip would be scanned on every pulse)."""
        self.bl_route = np.full((tiles, cols), Route.GROUND, dtype=np.int8)
        self.sl_route = np.full((tiles, rows), Route.GROUND, dtype=np.int8)
        self.gate = np.zeros((tiles, rows))

    def safe_state(self) -> None:
        """Deselect every cell, ground every line and turn every gate off."""
        self.selected_cells = np.empty(0, dtype=np.int64)
        self.bl_route[:] = Route.GROUND
        self.sl_route[:] = Route.GROUND
        self.gate[:] = 0.0

    def select(self, cells: ArrayLike) -> None:
        """Address exactly ``cells`` (flat indices)."""
        idx = np.asarray(cells, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.array.n_cells):
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise ModelParameterError("cells", int(bad), f"0 to {self.array.n_cells - 1}")
        self.selected_cells = np.unique(idx)

    @property
    def selected(self) -> NDArray[np.bool_]:
        """The addressed cells as a mask over the whole array."""
        mask = np.zeros(self.array.n_cells, dtype=bool)
        mask[self.selected_cells] = True
        return mask

    def _terminals(self, cells: NDArray[np.int64]) -> tuple[NDArray, NDArray, NDArray]:
        _, rows, cols = self.array.shape
        tile, rest = np.divmod(cells, rows * cols)
        row, col = np.divmod(rest, cols)
        return self.bl_route[tile, col], self.sl_route[tile, row], self.gate[tile, row]

    def apply_pulse(self, amplitude: float, width: float) -> None:
        """Fire the pulse generator: SET where it drives a bit line, RESET a source line.

        A negative pulse on a bit line is a RESET, as is a positive one on a source line;
        the other end of the cell must be grounded and the gate on. Through the bit line the
        access transistor is not what limits the RESET: its source is then the cell's side,
        pulled below ground, so its gate-source voltage grows by up to the pulse's
        magnitude (``_bit_line_reset_gate``). Cells reached through bit lines and through
        source lines see the same pulse, so the clock moves by one width.
        """
        cells = self.selected_cells
        bl, sl, gate = self._terminals(cells)
        gated = gate > 0
        on_bl = gated & (bl == Route.PULSE) & (sl == Route.GROUND)
        on_sl = gated & (sl == Route.PULSE) & (bl == Route.GROUND)
        none = np.zeros_like(on_bl)
        set_mask = on_bl if amplitude > 0 else none
        reset_mask = on_sl if amplitude > 0 else (on_bl if amplitude < 0 else none)
        start = self.array.clock
        if set_mask.any():
            self.array.set_pulse(cells[set_mask], amplitude, gate[set_mask], width)
        if reset_mask.any():
            self.array.clock = start
            reset_gate = gate if amplitude > 0 else self._bit_line_reset_gate(gate, amplitude)
            self.array.reset_pulse(cells[reset_mask], abs(amplitude), reset_gate[reset_mask],
                                   width)
        if not (set_mask.any() or reset_mask.any()):
            self.array.advance(width)

    def apply_burst(self, levels: Sequence[float], width: float, period: float,
                    repeats: int) -> None:
        """Fire a pulse train ``repeats`` times, one every ``period`` s: the pulses of
        ``levels`` (V, signed) in turn, ``width`` s each, routed as :meth:`apply_pulse` routes
        one pulse. A SET pulse then a RESET pulse on the same bit lines is an endurance
        test's cycle, simulated in one block (``RRAMArray.cycle_pulses``); any other train
        is applied pulse by pulse."""
        cells = self.selected_cells
        bl, sl, gate = self._terminals(cells)
        gated = gate > 0
        on_bl = gated & (bl == Route.PULSE) & (sl == Route.GROUND)
        on_sl = gated & (sl == Route.PULSE) & (bl == Route.GROUND)
        if not (on_bl.any() or on_sl.any()):
            self.array.advance(repeats * period)
            return
        if len(levels) == 2 and levels[0] > 0 > levels[1] and not on_sl.any():
            g = gate[on_bl]
            self.array.cycle_pulses(cells[on_bl], levels[0], -levels[1], g,
                                    self._bit_line_reset_gate(g, levels[1]), width, period,
                                    repeats)
            return
        for _ in range(repeats):
            start = self.array.clock
            for level in levels:
                self.apply_pulse(level, width)
            self.array.clock = start
            self.array.advance(period)

    def _bit_line_reset_gate(self, gate: NDArray[np.float64], amplitude: float
                             ) -> NDArray[np.float64]:
        """The gate voltage that sets a RESET's drive when the bit line is pulsed to
        ``amplitude`` < 0: the gate plus the magnitude (the transistor's source follows the
        bit line down), no more than the gate at which the model's RESET is fully driven."""
        return np.minimum(gate + abs(amplitude),
                          max(self.array.model.v_gate_reset_full, float(np.max(gate))))

    def hold_voltages(self, voltages: NDArray[np.float64], duration: float) -> NDArray[np.float64]:
        """Hold the SMU at each of ``voltages`` in turn for ``duration`` s (the steps of a
        sweep) and return the current it sources at the end of each (A).

        Cells whose bit line is routed to the SMU and source line grounded see +voltage
        (SET polarity); cells whose source line is routed to it and bit line grounded see
        -voltage across them (RESET polarity), so the SMU sources the opposite of their
        current. The bias acts on the cells for the whole step, as a DC bias does: at a read
        voltage it switches nothing (see ``RRAMArray.dc_checked``), at a SET or RESET
        voltage it is a quasi-static sweep's step. With nothing routed, the time passes.
        """
        volts = np.asarray(voltages, dtype=np.float64)
        cells = self.selected_cells
        bl, sl, gate = self._terminals(cells)
        gated = gate > 0
        paths = [(path, polarity) for path, polarity in (
            (gated & (bl == Route.SMU) & (sl == Route.GROUND), 1.0),
            (gated & (sl == Route.SMU) & (bl == Route.GROUND), -1.0)) if path.any()]
        if not paths:
            self.array.advance(duration * volts.size)
            return np.zeros(volts.size)
        start = self.array.clock
        total = np.zeros(volts.size)
        for path, polarity in paths:
            self.array.clock = start
            total += polarity * self.array.dc_sweep(cells[path], polarity * volts, gate[path],
                                                    duration).sum(axis=1)
        return total

    def measure_current(self, voltage: float) -> float:
        """Current (A) the SMU sees sourcing ``voltage`` into the lines routed to it: a read,
        instantaneous and non-disturbing (DEVICE_MODEL.md), taking the model's read time."""
        cells = self.selected_cells
        bl, sl, gate = self._terminals(cells)
        path = (gate > 0) & (bl == Route.SMU) & (sl == Route.GROUND)
        if not path.any():
            self.array.advance(self.array.model.read_time)
            return 0.0
        current = self.array.read_current(cells[path], voltage)
        limit = self.array.compliance_current(gate[path])
        return float(np.sum(np.clip(current, -limit, limit)))
