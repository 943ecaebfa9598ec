"""Write-verify parameters and the per-cell result record, shared by both programming modes.

The FPGA-offloaded mode sends these parameters in one WRITE_VERIFY frame (SPEC.md section
4, 0x07); the host-driven mode in ``protocols/`` runs the same algorithm (SPEC.md section 6)
pulse by pulse and fills the same record, so the two can be compared cell for cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.errors import InvalidRequestError
from drivers.safety import Reach, Terminal


class Scheme(StrEnum):
    """Which SET voltage the write-verify loop steps."""

    ISPVA = "ispva"
    """Incremental step pulse: step the bit-line SET voltage at a fixed gate."""
    IGVVA = "igvva"
    """Incremental gate voltage: step the gate (the compliance) at a fixed bit-line voltage."""


@dataclass(frozen=True)
class WriteVerifyParams:
    """Parameters of write-verify (SI units: V, s); defaults suit the default simulated chip."""

    scheme: Scheme = Scheme.IGVVA
    max_pulses: int = 50
    """Most SET + RESET pulses per cell (1..65535)."""
    reads: int = 1
    """Reads averaged per verify (1..255)."""
    confirm: bool = True
    """Re-read a cell found in band before accepting it."""
    v_read: float = 0.2
    gate_start: float = 0.7
    """SET gate voltage: IGVVA ramp start, ISPVA fixed gate (a cell may override it)."""
    gate_step: float = 0.025
    gate_max: float = 1.6
    v_set: float = 1.5
    """IGVVA: fixed bit-line SET voltage."""
    set_start: float = 1.0
    """ISPVA: bit-line SET ramp start."""
    set_step: float = 0.05
    set_max: float = 2.5
    reset_gate: float = 2.7
    """Gate voltage during RESET (transistor fully on)."""
    reset_start: float = 0.9
    reset_step: float = 0.05
    reset_max: float = 2.5
    set_width: float = 500e-9
    reset_width: float = 500e-9
    wait: float = 0.0
    """Wait before a final verify of the batch (s); 0 disables wait-then-verify."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "scheme", Scheme(self.scheme))
        if not 1 <= self.max_pulses <= 65535:
            raise InvalidRequestError(
                f"max_pulses={self.max_pulses} is invalid: use 1 to 65535")
        if not 1 <= self.reads <= 255:
            raise InvalidRequestError(f"reads={self.reads} is invalid: use 1 to 255")
        for f in fields(self):
            if f.type != "float":
                continue
            value = float(getattr(self, f.name))
            if not (math.isfinite(value) and value >= 0):
                raise InvalidRequestError(
                    f"{f.name}={value!r} is invalid: use a finite value >= 0")
            object.__setattr__(self, f.name, value)
        for name in ("v_read", "set_width", "reset_width"):
            if getattr(self, name) <= 0:
                raise InvalidRequestError(f"{name}={getattr(self, name)!r} must be above 0")
        for start, stop in (("gate_start", "gate_max"), ("set_start", "set_max"),
                            ("reset_start", "reset_max")):
            if getattr(self, start) > getattr(self, stop):
                raise InvalidRequestError(
                    f"{start}={getattr(self, start)} exceeds {stop}={getattr(self, stop)}: "
                    f"lower the start or raise the ceiling")

    def reaches(self, gate_starts: ArrayLike | None = None) -> list[Reach]:
        """Every voltage the algorithm can apply, with the terminal it reaches (V), including
        per-cell SET gate starts (NaN: the block's).

        A ramp never exceeds its ceiling (``start <= max`` and ``min(start + k step, max)``),
        so starts and ceilings bound every step. In host-driven mode reads go through the SMU
        and pulses through the pulse generator, so those outputs are listed too.
        """
        out: list[Reach] = [(name, terminal, getattr(self, name))
                            for name, terminals in REACHES.items() for terminal in terminals]
        given = np.asarray(() if gate_starts is None else gate_starts, dtype=np.float64).ravel()
        given = given[~np.isnan(given)]
        if given.size:
            out.append(("per-cell gate_start", "gate", float(np.max(np.abs(given)))))
        return out

    def widths(self) -> list[tuple[str, float]]:
        """The pulse widths the algorithm uses (s)."""
        return [("set_width", self.set_width), ("reset_width", self.reset_width)]


REACHES: dict[str, tuple[Terminal, ...]] = {
    "v_read": ("bit_line", "smu"),
    "gate_start": ("gate",),
    "gate_max": ("gate",),
    "reset_gate": ("gate",),
    "v_set": ("bit_line", "pulse"),
    "set_start": ("bit_line", "pulse"),
    "set_max": ("bit_line", "pulse"),
    "reset_start": ("source_line", "pulse"),
    "reset_max": ("source_line", "pulse"),
}
"""Which terminals each voltage parameter reaches: SET on the bit line with the source line
grounded, RESET on the source line with the bit line grounded, gates on the word line."""


MAX_WAITS = 4
"""Most waits of wait-then-verify in one batch (SPEC.md section 6)."""

CELL_RESULT_DTYPE = np.dtype([
    ("cell", np.int64),
    ("success", np.bool_),
    ("pulses", np.int32),
    ("set_pulses", np.int32),
    ("reset_pulses", np.int32),
    ("reversals", np.int32),
    ("g_final", np.float64),
    ("energy", np.float64),
    ("time", np.float64),
])
"""One write-verify result per cell: success at the final verify, pulse counts, SET/RESET
polarity reversals, final conductance (S), programming energy sum V^2 G t (J), bench time (s)."""

CellResults = NDArray[np.void]


def empty_results(n: int) -> CellResults:
    """A zeroed result array of ``n`` records."""
    return np.zeros(n, dtype=CELL_RESULT_DTYPE)
