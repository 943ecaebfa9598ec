"""Endurance: SET/RESET cycling of a region in bursts, its window read at growing intervals.

A cycle is a SET pulse (``+v_set`` on the bit line, the gate limiting the current) and a
RESET pulse (``-v_reset`` on the same bit line, the source line grounded). Between two reads
the cycles are one burst of the pulse generator per word line, never one trigger per pulse.
At each read point the last ``probe_cycles`` cycles of the interval are fired as single
pulses with a board read after each, so the window G_LRS - G_HRS is measured on the cycles
that end it. Read points grow geometrically (``reads_per_decade``), as endurance tests space
them. A cell has failed when none of the probed cycles opens a window of ``min_window``: one
RESET of a healthy cell can fall short (its depth varies from cycle to cycle), several in a
row rarely do, and a worn-out cell never opens again. A failed cell is cycled no more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError
from drivers.fpga.client import FpgaLink
from drivers.roles import PulseGenerator
from drivers.safety import Interlock, Reach
from protocols.addressing import by_row, connect_row, disconnect_row


@dataclass(frozen=True)
class EnduranceParams:
    """Cycling pulses (V, s), the read points and the failure criterion (S)."""

    cycles: int = 1_000_000
    reads_per_decade: int = 10
    v_set: float = 1.5
    v_reset: float = 2.5
    """Magnitude of the RESET pulse, applied negative on the bit line."""
    gate: float = 1.3
    """Word-line gate during both pulses: the SET compliance (about 52 uA, 130 uS on the
    default device model, inside the board ADC's range)."""
    width: float = 1e-6
    v_read: float = 0.2
    min_window: float = 20e-6
    probe_cycles: int = 3

    def check(self) -> None:
        """Raise ConfigError for a request no bench could run, naming the value to change."""
        for name in ("v_set", "v_reset", "gate", "width", "v_read", "min_window"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"endurance: {name} must be a finite value above 0, got "
                                  f"{value!r}")
        if self.cycles < 1:
            raise ConfigError(f"endurance: cycles must be 1 or more, got {self.cycles}")
        if self.probe_cycles < 1:
            raise ConfigError(f"endurance: probe_cycles must be 1 or more, got "
                              f"{self.probe_cycles}")
        if self.cycles < self.probe_cycles:
            raise ConfigError(f"endurance: cycles ({self.cycles}) must be at least "
                              f"probe_cycles ({self.probe_cycles}), the cycles each read "
                              "point measures")
        if self.reads_per_decade < 1:
            raise ConfigError("endurance: reads_per_decade must be 1 or more, got "
                              f"{self.reads_per_decade}")

    def checkpoints(self) -> NDArray[np.int64]:
        """Cycle counts that end a read point: ``reads_per_decade`` per decade (rounded),
        each at least ``probe_cycles`` after the one before (the first at ``probe_cycles``),
        and ``cycles`` itself."""
        decades = math.log10(self.cycles)
        steps = np.arange(math.floor(decades * self.reads_per_decade + 1e-9) + 1)
        grid = np.round(10.0 ** (steps / self.reads_per_decade)).astype(np.int64)
        points: list[int] = []
        for c in np.r_[grid[grid < self.cycles], self.cycles]:
            if c - (points[-1] if points else 0) >= self.probe_cycles:
                points.append(int(c))
        if points[-1] != self.cycles:
            points[-1] = self.cycles
        return np.array(points, dtype=np.int64)

    def reaches(self) -> list[Reach]:
        """Every voltage cycling applies and where (V)."""
        return [("v_set", "bit_line", self.v_set), ("v_set", "pulse", self.v_set),
                ("v_reset", "bit_line", self.v_reset), ("v_reset", "pulse", self.v_reset),
                ("gate", "gate", self.gate), ("v_read", "bit_line", self.v_read)]


@dataclass(frozen=True)
class Checkpoint:
    """The windows of the cells still cycling over the probed cycles of one read point:
    ``g_lrs`` and ``g_hrs`` are (probes, cells), probe k read after ``cycles[k]`` cycles (S)."""

    point: int
    cycles: NDArray[np.int64]
    cells: NDArray[np.int64]
    g_lrs: NDArray[np.float64]
    g_hrs: NDArray[np.float64]

    @property
    def window(self) -> NDArray[np.float64]:
        """Each cell's best window over the probed cycles (S)."""
        return (self.g_lrs - self.g_hrs).max(axis=0)


def check_limits(interlock: Interlock, params: EnduranceParams) -> None:
    """Raise ConfigError or SafetyError for cycling the bench could not or must not run."""
    params.check()
    interlock.check_batch("endurance", params.reaches(), [("width", params.width)])


def cycle_cells(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64], rows: int,
                cols: int, params: EnduranceParams,
                on_checkpoint: Callable[[Checkpoint], None]) -> None:
    """Cycle ``cells`` until ``params.cycles`` or until every one has failed, reporting the
    window at each read point. Everything cycling applies is checked against the bench's
    limits before the first pulse; the bench is left safe however this ends."""
    check_limits(fpga.interlock, params)
    cells = np.asarray(cells, dtype=np.int64)
    alive = np.ones(cells.size, dtype=bool)
    done = 0
    probes = params.probe_cycles
    try:
        for index, target in enumerate(params.checkpoints()):
            cycling = cells[alive]
            burst = int(target) - done - probes
            if burst > 0:
                pulse.configure_train([params.v_set, -params.v_reset], params.width)
                _on_each_row(fpga, cycling, rows, cols, params.gate,
                             lambda repeats=burst: pulse.fire_burst(repeats))
            g = [_pulse_and_read(fpga, pulse, cycling, rows, cols, params, volts)
                 for _ in range(probes) for volts in (params.v_set, -params.v_reset)]
            done = int(target)
            point = Checkpoint(index, np.arange(done - probes + 1, done + 1), cycling,
                               np.array(g[0::2]), np.array(g[1::2]))
            on_checkpoint(point)
            alive[alive] = point.window >= params.min_window
            if not alive.any():
                break
    finally:
        pulse.output_off()
        fpga.safe_state()


def _pulse_and_read(fpga: FpgaLink, pulse: PulseGenerator, cells: NDArray[np.int64],
                    rows: int, cols: int, params: EnduranceParams, amplitude: float
                    ) -> NDArray[np.float64]:
    pulse.configure_pulse(amplitude, params.width)
    _on_each_row(fpga, cells, rows, cols, params.gate, pulse.fire)
    return fpga.read_cells(cells, params.v_read) / params.v_read


def _on_each_row(fpga: FpgaLink, cells: NDArray[np.int64], rows: int, cols: int, gate: float,
                 fire: Callable[[], None]) -> None:
    """Connect each word line's cells to the pulse generator's bit-line output in turn and
    ``fire``: both polarities act on exactly the connected cells (see connect_row)."""
    for tile, row, row_cols in by_row(cells, rows, cols):
        connect_row(fpga, tile, row, row_cols, gate, reset=False)
        fire()
        disconnect_row(fpga, tile, row)
