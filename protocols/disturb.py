"""Read disturb: programmed cells stressed by many reads, or by a DC bias at a read voltage,
read back at geometrically growing amounts of stress.

Two kinds of stress: ``reads``, board reads of the stressed cells at ``v_stress`` (the
board's own read, as every read of a procedure is), and ``dc``, the SMU holding ``v_stress``
on the stressed cells' bit lines, one word line at a time, for a time (a read held for hours:
the voltage-time dilemma at read voltages). Before any stress and after every block the
caller reads back all its cells, the stressed and the unstressed controls alike, so that
disturb shows as the difference between the two while relaxation affects both.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError
from drivers.fpga.client import FpgaLink
from drivers.roles import SourceMeter
from drivers.safety import Interlock, Reach
from protocols.addressing import by_row, connect_row, disconnect_row

DC_STEP_MAX = 900.0
"""Longest single bias step of a DC stress (s): within every SMU model's source delay; a
longer block is held as several equal steps of one list sweep."""
Stress = Literal["reads", "dc"]


@dataclass(frozen=True)
class DisturbParams:
    """What stresses the cells (V, s), how much, and how often they are read back."""

    stress: Stress = "reads"
    amount: float = 100_000.0
    """Reads of every stressed cell (``reads``) or seconds of bias (``dc``), in all."""
    first: float = 1.0
    """The stress before the first read-back after the initial one (reads, or s)."""
    points: int = 11
    """Read-backs after the initial one, geometric in stress from ``first`` to ``amount``."""
    v_stress: float = 0.2
    gate: float = 2.5
    """Gate of the stressed rows during a DC stress (transistor fully on, as for a read)."""
    compliance: float = 1e-3
    nplc: float = 1.0

    def check(self) -> None:
        """Raise ConfigError for a request no bench could run, naming the value to change."""
        if self.stress not in ("reads", "dc"):
            raise ConfigError(f"disturb: stress must be 'reads' or 'dc', got {self.stress!r}")
        for name in ("amount", "first", "v_stress", "gate", "compliance", "nplc"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"disturb: {name} must be a finite value above 0, got "
                                  f"{value!r}")
        if self.first > self.amount:
            raise ConfigError(f"disturb: the first read-back ({self.first:g}) must come before "
                              f"the end of the stress ({self.amount:g})")
        if self.points < 1:
            raise ConfigError(f"disturb: points must be 1 or more, got {self.points}")
        if self.stress == "reads" and not (float(self.amount).is_integer()
                                            and float(self.first).is_integer()):
            raise ConfigError("disturb: a read stress counts whole reads: give whole numbers "
                              f"(amount {self.amount:g}, first {self.first:g})")

    def schedule(self) -> NDArray[np.float64]:
        """The cumulative stress at each read-back after the initial one (reads, or s);
        reads are rounded to whole ones and repeats dropped."""
        amounts = np.geomspace(self.first, self.amount, self.points)
        return np.unique(np.round(amounts)) if self.stress == "reads" else amounts

    def reaches(self) -> list[Reach]:
        """Every voltage the stress applies and where (V)."""
        if self.stress == "reads":
            return [("v_stress", "bit_line", self.v_stress)]
        return [("v_stress", "smu", self.v_stress), ("v_stress", "bit_line", self.v_stress),
                ("gate", "gate", self.gate)]


def check_limits(interlock: Interlock, params: DisturbParams) -> None:
    """Raise ConfigError or SafetyError for a stress the bench could not or must not apply."""
    params.check()
    interlock.check_batch("read disturb", params.reaches())
    if params.stress == "dc":
        interlock.check_compliance(params.compliance)


def stress_cells(fpga: FpgaLink, smu: SourceMeter, cells: NDArray[np.int64], rows: int,
                 cols: int, params: DisturbParams, read_back: Callable[[], NDArray[np.float64]],
                 on_point: Callable[[int, float, NDArray[np.float64]], None]) -> None:
    """Read back, then stress ``cells`` block by block up to each amount of the schedule and
    read back after each: ``on_point(index, stress so far, read_back())``. Everything the
    stress applies is checked first; the SMU is off and the bench safe however this ends."""
    check_limits(fpga.interlock, params)
    cells = np.asarray(cells, dtype=np.int64)
    on_point(0, 0.0, read_back())
    done = 0.0
    try:
        for index, amount in enumerate(params.schedule(), start=1):
            if params.stress == "reads":
                for _ in range(round(amount - done)):
                    fpga.read_cells(cells, params.v_stress)
            else:
                _hold(fpga, smu, cells, rows, cols, params, amount - done)
            done = float(amount)
            on_point(index, done, read_back())
    finally:
        smu.output_off()
        fpga.safe_state()


def _hold(fpga: FpgaLink, smu: SourceMeter, cells: NDArray[np.int64], rows: int, cols: int,
          params: DisturbParams, seconds: float) -> None:
    """Bias every word line's stressed cells through the SMU for ``seconds``, one row after
    the other, as one list sweep of equal steps no longer than ``DC_STEP_MAX``."""
    steps = max(math.ceil(seconds / DC_STEP_MAX), 1)
    for tile, row, row_cols in by_row(cells, rows, cols):
        connect_row(fpga, tile, row, row_cols, params.gate, reset=False, source="smu")
        smu.sweep_voltage([params.v_stress] * steps, params.compliance,
                          delay=seconds / steps, nplc=params.nplc)
        disconnect_row(fpga, tile, row)
