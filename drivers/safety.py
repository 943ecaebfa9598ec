"""The bench's safety limits and the one object that enforces them before a byte is written.

Limits are the lab's own (what the chip and its probe card tolerate), usually tighter than
the instruments' ranges. Three kinds of request can put a voltage on the chip:

- an instrument's output level (the SMU's source voltage, the pulse generator's levels),
  which reaches every line the FPGA's switch matrix routes to that instrument;
- a route, which connects lines to an instrument's present level;
- the FPGA board's own drive: gate voltages, read voltages, MVM inputs, write-verify batches.

The ``Interlock`` is shared by every driver of a bench. It mirrors the routing and the
instruments' levels, so each request is checked against the terminal it actually reaches: a
3.8 V pulse is refused on a source line limited to 3.5 V whether the pulse is shaped first
and the line routed after, or the other way round. Where the outcome of a write is unknown
(a lost reply) it assumes the worse of the two states. A request outside the limits raises
``SafetyError`` naming the terminal, the value and the limit, and nothing is sent.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drivers.errors import SafetyError

Source = Literal["smu", "pulse"]
"""An instrument whose output the switch matrix routes to lines of the chip."""
Line = Literal["bit_line", "source_line"]
"""A line the switch matrix routes."""
Terminal = Literal["smu", "pulse", "bit_line", "source_line", "gate"]
"""Where a voltage limit applies: an instrument's output or a terminal of the chip."""
SOURCES: tuple[Source, ...] = get_args(Source)
LINES: tuple[Line, ...] = get_args(Line)

LABELS: dict[str, str] = {"smu": "SMU output", "pulse": "pulse-generator output",
                          "bit_line": "bit line", "source_line": "source line",
                          "gate": "gate (word line)"}
"""How messages name each terminal."""


class SafetyLimits(BaseModel):
    """Largest voltages per terminal, largest compliance current and pulse-width range."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    smu_voltage_max: float = Field(5.0, gt=0, description="Largest |V| the SMU may source (V).")
    pulse_voltage_max: float = Field(5.0, gt=0, description="Largest |V| of a pulse (V).")
    bit_line_voltage_max: float = Field(5.0, gt=0, description="Largest |V| on a bit line (V).")
    source_line_voltage_max: float = Field(
        5.0, gt=0, description="Largest |V| on a source line (V)."
    )
    gate_voltage_max: float = Field(5.0, gt=0, description="Largest |V| on a word line (V).")
    compliance_current_max: float = Field(
        1e-3, gt=0, description="Largest SMU current limit (A)."
    )
    pulse_width_min: float = Field(20e-9, gt=0, description="Shortest pulse (s).")
    pulse_width_max: float = Field(1e-3, gt=0, description="Longest pulse (s).")

    @model_validator(mode="after")
    def _ordered(self) -> SafetyLimits:
        if self.pulse_width_min >= self.pulse_width_max:
            raise ValueError("pulse_width_min must be below pulse_width_max")
        return self

    @staticmethod
    def key(terminal: Terminal) -> str:
        """The setup-file key of a terminal's voltage limit, e.g. ``gate_voltage_max``."""
        return f"{terminal}_voltage_max"

    def voltage_max(self, terminal: Terminal) -> float:
        """Largest |V| allowed on ``terminal`` (V)."""
        value: float = getattr(self, self.key(terminal))
        return value

    def check_voltage(self, terminal: Terminal, volts: float, what: str = "") -> float:
        """Return ``volts`` if its magnitude is within the terminal's limit, else raise."""
        limit = self.voltage_max(terminal)
        if not math.isfinite(volts) or abs(volts) > limit:
            what = what or f"{LABELS[terminal]} voltage"
            raise SafetyError(
                terminal, volts, limit,
                f"{what} {volts:g} V on the {LABELS[terminal]} is beyond the setup's limit of "
                f"±{limit:g} V (safety.{self.key(terminal)}); request a smaller magnitude or "
                "raise the limit in the setup file; nothing was sent")
        return volts

    def check_compliance(self, amps: float) -> float:
        """Return ``amps`` if it is a positive current limit within the setup's, else raise."""
        limit = self.compliance_current_max
        if not math.isfinite(amps) or not 0 < amps <= limit:
            raise SafetyError(
                "compliance", amps, limit,
                f"compliance current {amps:g} A is outside (0, {limit:g}] A "
                "(safety.compliance_current_max); request a smaller limit or raise it in the "
                "setup file; nothing was sent")
        return amps

    def check_width(self, seconds: float, what: str = "pulse width") -> float:
        """Return ``seconds`` if the pulse width is within the setup's range, else raise."""
        lo, hi = self.pulse_width_min, self.pulse_width_max
        if not math.isfinite(seconds) or not lo <= seconds <= hi:
            raise SafetyError(
                "pulse_width", seconds, hi if seconds > hi else lo,
                f"{what} {seconds:g} s is outside [{lo:g}, {hi:g}] s "
                "(safety.pulse_width_min/pulse_width_max); request a width in range or change "
                "the limits in the setup file; nothing was sent")
        return seconds


Reach = tuple[str, Terminal, float]
"""(what, terminal, volts): one voltage a batch puts on a terminal, and what it is called."""


class Interlock:
    """The setup's limits, and what each instrument's output is connected to right now."""

    def __init__(self, limits: SafetyLimits) -> None:
        self.limits = limits
        self._levels: dict[Source, dict[Hashable, float]] = {s: {} for s in SOURCES}
        self._routed: dict[tuple[Source, Line], set[tuple[int, int]]] = {
            (s, line): set() for s in SOURCES for line in LINES}
        self.routing_known = False
        """False until the board has confirmed a safe state: until then any line may be
        routed to any instrument (a previous session may have left them so)."""

    # ------------------------------------------------------------------ state
    def level(self, source: Source) -> float:
        """Largest |V| the instrument's output may be at (V)."""
        return max(self._levels[source].values(), default=0.0)

    def exposed(self, source: Source) -> tuple[Line, ...]:
        """The kinds of line the switch matrix may connect to ``source``."""
        if not self.routing_known:
            return LINES
        return tuple(line for line in LINES if self._routed[source, line])

    # ------------------------------------------------------------------ plain checks
    def check_voltage(self, terminal: Terminal, volts: float, what: str = "") -> float:
        """Return ``volts`` if within ``terminal``'s limit, else raise ``SafetyError``."""
        return self.limits.check_voltage(terminal, volts, what)

    def check_compliance(self, amps: float) -> float:
        """Return ``amps`` if it is a current limit within the setup's, else raise."""
        return self.limits.check_compliance(amps)

    def check_width(self, seconds: float, what: str = "pulse width") -> float:
        """Return ``seconds`` if within the setup's pulse-width range, else raise."""
        return self.limits.check_width(seconds, what)

    # ------------------------------------------------------------------ output levels
    def check_level(self, source: Source, volts: float) -> None:
        """Refuse an output level beyond the instrument's limit or a line routed to it."""
        self.limits.check_voltage(source, volts)
        for line in self.exposed(source):
            self._check_via(line, source, volts)

    def hold_level(self, source: Source, key: Hashable, volts: float) -> None:
        """Check a level about to be written; until settled, assume the larger of old and new."""
        self.check_level(source, volts)
        levels = self._levels[source]
        levels[key] = max(levels.get(key, 0.0), abs(volts))

    def settle_level(self, source: Source, key: Hashable, volts: float) -> None:
        """Record a level the instrument acknowledged."""
        self._levels[source][key] = abs(volts)

    # ------------------------------------------------------------------ routing
    def hold_route(self, tile: int, bit_lines: Sequence[int], source_lines: Sequence[int],
                   to: str) -> None:
        """Check a route about to be sent; until settled, the lines may carry either source."""
        source = _source(to)
        if source is None:
            return
        for line, idx in _by_line(bit_lines, source_lines):
            if len(idx):
                self._check_via(line, source, self.level(source))
        for line, idx in _by_line(bit_lines, source_lines):
            self._routed[source, line].update((tile, int(i)) for i in idx)

    def settle_route(self, tile: int, bit_lines: Sequence[int], source_lines: Sequence[int],
                     to: str) -> None:
        """Record a route the board acknowledged."""
        for line, idx in _by_line(bit_lines, source_lines):
            lines = {(tile, int(i)) for i in idx}
            for source in SOURCES:
                routed = self._routed[source, line]
                if source == to:
                    routed |= lines
                else:
                    routed -= lines

    def settle_safe_state(self) -> None:
        """Record that the board grounded every line."""
        for routed in self._routed.values():
            routed.clear()
        self.routing_known = True

    # ------------------------------------------------------------------ batches
    def check_batch(self, what: str, reaches: Iterable[Reach],
                    widths: Iterable[tuple[str, float]] = ()) -> None:
        """Check a batch as a whole before any of it is sent: the largest voltage it puts on
        each terminal, and every pulse width it uses."""
        largest: dict[Terminal, tuple[float, str, float]] = {}
        for name, terminal, volts in reaches:
            magnitude = abs(volts) if math.isfinite(volts) else math.inf
            if terminal not in largest or magnitude > largest[terminal][0]:
                largest[terminal] = (magnitude, name, volts)
        for terminal, (_, name, volts) in largest.items():
            self.limits.check_voltage(terminal, volts, f"{what} {name}")
        for name, seconds in widths:
            self.limits.check_width(seconds, f"{what} {name}")

    # ------------------------------------------------------------------ helpers
    def _check_via(self, line: Line, source: Source, volts: float) -> None:
        limit = self.limits.voltage_max(line)
        if not math.isfinite(volts) or abs(volts) > limit:
            raise SafetyError(
                line, volts, limit,
                f"the {LABELS[source]} at {volts:g} V would reach a {LABELS[line]} routed to "
                f"it, beyond the setup's limit of ±{limit:g} V "
                f"(safety.{self.limits.key(line)}); lower the level or route the line "
                "elsewhere first; nothing was sent")


def _source(route: str) -> Source | None:
    """The instrument a route connects to, or None for ground and float."""
    for source in SOURCES:
        if route == source:
            return source
    return None


def _by_line(bit_lines: Sequence[int], source_lines: Sequence[int]
             ) -> tuple[tuple[Line, Sequence[int]], ...]:
    return (("bit_line", bit_lines), ("source_line", source_lines))
