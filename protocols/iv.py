"""Quasi-static I-V sweeps of single cells: forming, then RESET and SET branches per cycle.

Each branch is one triangular staircase 0 -> peak -> 0 V that the SMU runs as its own list
sweep, routed by the FPGA to one cell: the bit line for forming and SET (gate at the
compliance voltage, source line grounded), the source line for RESET (gate fully on, bit line
grounded). Voltages and currents are recorded as the cell sees them: V = V_BL - V_SL and the
current from bit line to source line, so RESET branches lie at negative voltage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError
from drivers.fpga.client import FpgaLink
from drivers.roles import SourceMeter
from drivers.safety import Interlock, Reach
from protocols.addressing import connect_row, disconnect_row, reconnect_row


class Branch(IntEnum):
    """What one sweep does to the cell."""

    FORM = 0
    SET = 1
    RESET = 2


@dataclass(frozen=True)
class IVParams:
    """Peaks, gates and timing of the three branches (V, A, s), and how switching is told."""

    v_form: float = 3.5
    """Peak of the forming branch, on the bit line (V)."""
    v_set: float = 1.5
    """Peak of the SET branch, on the bit line (V)."""
    v_reset: float = 2.0
    """Peak of the RESET branch, on the source line (V, a magnitude)."""
    step: float = 0.03
    """Voltage step of the staircases (V)."""
    gate_form: float = 1.0
    gate_set: float = 1.2
    """Gate voltage of the SET branch: the access transistor's compliance (V)."""
    gate_reset: float = 3.0
    compliance: float = 1e-3
    """The SMU's own current limit (A), above the transistor's."""
    delay: float = 1e-3
    """Source delay before each point's measurement (s)."""
    nplc: float = 0.1
    """Integration time of each point (power-line cycles)."""
    cycles: int = 3
    """RESET-then-SET cycles per cell."""
    v_read: float = 0.1
    """R_on and R_off are taken from the points up to this voltage (V)."""
    g_switch: float = 20e-6
    """Conductance that separates the low- from the high-resistance state (S)."""
    g_formed: float = 0.3e-6
    """A cell reading below this is pristine and gets a forming branch first (S); as
    ``FormingParams.g_formed``."""

    def check(self) -> None:
        """Raise ConfigError for a sweep that cannot be run as asked."""
        if not (self.step > 0 and np.isfinite(self.step)):
            raise ConfigError(f"--step {self.step:g} V: the staircase step must be above 0 V")
        for name in ("v_form", "v_set", "v_reset", "v_read", "compliance", "g_switch"):
            value = getattr(self, name)
            if not (value > 0 and np.isfinite(value)):
                raise ConfigError(f"--{name.replace('_', '-')} {value:g}: must be a finite "
                                  "value above 0")
        for name in ("v_form", "v_set", "v_reset"):
            if self.step > getattr(self, name):
                raise ConfigError(f"--step {self.step:g} V is larger than {name} "
                                  f"{getattr(self, name):g} V: take a smaller step")
        if self.cycles < 1:
            raise ConfigError(f"--cycles {self.cycles}: at least one cycle")
        if not (self.delay >= 0 and self.nplc > 0):
            raise ConfigError(f"--dwell {self.delay:g} s must be >= 0 and --nplc "
                              f"{self.nplc:g} above 0")

    def peak(self, branch: Branch) -> float:
        return {Branch.FORM: self.v_form, Branch.SET: self.v_set,
                Branch.RESET: self.v_reset}[branch]

    def gate(self, branch: Branch) -> float:
        return {Branch.FORM: self.gate_form, Branch.SET: self.gate_set,
                Branch.RESET: self.gate_reset}[branch]

    def levels(self, branch: Branch) -> NDArray[np.float64]:
        """The SMU's staircase of ``branch``: 0 V up to its peak by ``step``, and back (V)."""
        return triangle(self.peak(branch), self.step)

    def reaches(self) -> list[Reach]:
        """Every voltage the sweeps apply and where: the SMU on bit lines (forming, SET) and
        source lines (RESET), the gates, and the board's read of pristine cells."""
        top_bl = max(self.v_form, self.v_set)
        return [("SET/forming sweep", "smu", top_bl), ("SET/forming sweep", "bit_line", top_bl),
                ("RESET sweep", "smu", self.v_reset),
                ("RESET sweep", "source_line", self.v_reset),
                ("gate", "gate", max(self.gate_form, self.gate_set, self.gate_reset)),
                ("v_read", "bit_line", self.v_read)]


def triangle(peak: float, step: float) -> NDArray[np.float64]:
    """0 -> ``peak`` -> 0 in steps of ``step`` (the peak always included, once)."""
    up = np.arange(0.0, peak, step)
    up = np.append(up, peak)
    return np.concatenate([up, up[-2::-1]])


@dataclass(frozen=True)
class IVSweep:
    """One branch of one cell: the cell's voltage and current at every point (V, A)."""

    cell: int
    cycle: int
    branch: Branch
    v: NDArray[np.float64]
    i: NDArray[np.float64]


def check_limits(interlock: Interlock, params: IVParams) -> None:
    """Raise ConfigError or SafetyError for sweeps the bench could not or must not run."""
    params.check()
    interlock.check_batch("I-V", params.reaches())
    interlock.check_compliance(params.compliance)


def sweep_cells(fpga: FpgaLink, smu: SourceMeter, cells: NDArray[np.int64], rows: int,
                cols: int, params: IVParams, on_sweep: Callable[[IVSweep], None]) -> None:
    """Sweep each of ``cells`` in turn: a forming branch if it is pristine, then ``cycles``
    RESET and SET branches; ``on_sweep`` gets every branch as soon as it is measured.

    Everything the sweeps can apply is checked against the bench's limits before the first
    command; the SMU's output is turned off and every line grounded however it ends.
    """
    check_limits(fpga.interlock, params)
    cells = np.asarray(cells, dtype=np.int64)
    try:
        pristine = fpga.read_cells(cells, params.v_read) / params.v_read < params.g_formed
        for cell, fresh in zip(cells.tolist(), pristine.tolist(), strict=True):
            branches = [(0, Branch.FORM)] if fresh else []
            branches += [(cycle, branch) for cycle in range(1, params.cycles + 1)
                         for branch in (Branch.RESET, Branch.SET)]
            _sweep_cell(fpga, smu, cell, branches, rows, cols, params, on_sweep)
    finally:
        try:
            smu.output_off()
        finally:
            fpga.safe_state()


def _sweep_cell(fpga: FpgaLink, smu: SourceMeter, cell: int,
                branches: list[tuple[int, Branch]], rows: int, cols: int, params: IVParams,
                on_sweep: Callable[[IVSweep], None]) -> None:
    """One cell's branches in turn, its row connected throughout and rerouted between them
    (gate off, lines for the next polarity, gate on), disconnected at the end."""
    tile, rest = divmod(cell, rows * cols)
    row, col = divmod(rest, cols)
    try:
        for k, (cycle, branch) in enumerate(branches):
            reset = branch is Branch.RESET
            connect = reconnect_row if k else connect_row
            connect(fpga, tile, row, np.array([col]), params.gate(branch), reset=reset,
                    source="smu")
            levels = params.levels(branch)
            amps = smu.sweep_voltage(levels, params.compliance, delay=params.delay,
                                     nplc=params.nplc)
            polarity = -1.0 if reset else 1.0
            on_sweep(IVSweep(cell, cycle, branch, polarity * levels, polarity * amps))
    finally:
        disconnect_row(fpga, tile, row)


@dataclass(frozen=True)
class Switching:
    """What one branch tells of the cell: where it switched (V) and its state before (Ω)."""

    v_switch: float
    """V_form or V_set (first point at or above ``g_switch``), V_reset (the current's peak);
    NaN if the branch never switched."""
    r_before: float
    """Resistance at the read voltage on the way up, before switching: R_off on a SET
    branch, R_on on a RESET branch (Ω)."""


def switching(sweep: IVSweep, params: IVParams) -> Switching:
    """The switching voltage and read resistance of one measured branch.

    Under compliance the current, not I/V, shows a SET: it jumps to the transistor's limit.
    A forming or SET branch switched if the cell reads in the low-resistance state on the
    way down; it switched at the first point of the way up where the current reached half
    its largest value. A RESET branch switched if the cell read low-resistance on the way up
    and high-resistance on the way down, at the current's peak.
    """
    top = int(np.argmax(np.abs(sweep.v)))
    v, i = np.abs(sweep.v), np.abs(sweep.i)
    g_up, g_down = _read_conductance(v[:top + 1], i[:top + 1], params), _read_conductance(
        v[top:], i[top:], params)
    up_i = i[:top + 1]
    if sweep.branch is Branch.RESET:
        switched = g_up >= params.g_switch > g_down
        v_switch = float(v[np.argmax(up_i)]) if switched else np.nan
    else:
        switched = g_down >= params.g_switch
        v_switch = float(v[np.argmax(up_i >= 0.5 * up_i.max())]) if switched else np.nan
    return Switching(v_switch, 1.0 / g_up if g_up > 0 else np.inf)


def _read_conductance(v: NDArray[np.float64], i: NDArray[np.float64], params: IVParams
                      ) -> float:
    """Mean I/V over the points of one ramp at or below the read voltage (the first nonzero
    point if none is that low) (S)."""
    on = v > 0
    low = on & (v <= params.v_read * (1 + 1e-9))
    if not low.any():
        low = np.arange(v.size) == np.argmax(on)
    return float(np.mean(i[low] / v[low])) if low.any() and v[low].min() > 0 else 0.0
