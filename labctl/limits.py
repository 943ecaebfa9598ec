"""Which limit binds on each terminal of a bench, and by which path a voltage gets there.

A voltage reaches a chip terminal from an instrument routed to it (the pulse generator, the
SMU) or from the FPGA board's own drivers. Each path is bounded by several limits at once:
the setup's limit of the terminal, the setup's limit of the instrument's output, the
instrument model's range and the board's rating. The smallest one binds.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.fpga.payloads import Identity
from labctl.instruments import lookup
from labctl.setup import Setup


@dataclass(frozen=True)
class PathLimit:
    """The bound on one terminal along one path, and every limit that makes it up."""

    terminal: str
    path: str
    unit: str
    candidates: tuple[tuple[str, float], ...]
    """(name, value) of each limit on the path."""
    smallest: bool = True
    """True for an upper bound (the smallest binds), False for a lower one."""

    @property
    def value(self) -> float:
        values = [v for _, v in self.candidates]
        return min(values) if self.smallest else max(values)

    @property
    def binding(self) -> tuple[str, ...]:
        """The names of the limits equal to the bound."""
        return tuple(name for name, v in self.candidates if v == self.value)


def path_limits(setup: Setup, board: Identity) -> list[PathLimit]:
    """Every (terminal, path) bound of the bench described by ``setup`` and ``board``."""
    s = setup.safety
    smu = lookup("smu", setup.smu.model)
    pulse = lookup("pulse_generator", setup.pulse_generator.model)
    smu_out = (("safety.smu_voltage_max", s.smu_voltage_max),
               (f"{smu.name} range", smu.range_of("source_voltage").high))
    pulse_out = (("safety.pulse_voltage_max", s.pulse_voltage_max),
                 (f"{pulse.name} range", pulse.range_of("high_level").high))
    rating = ("FPGA board v_max", board.v_max)
    out: list[PathLimit] = []
    for terminal, key in (("bit line", "bit_line_voltage_max"),
                          ("source line", "source_line_voltage_max")):
        own = (f"safety.{key}", getattr(s, key))
        out += [PathLimit(terminal, "pulse generator", "V", (own, *pulse_out, rating)),
                PathLimit(terminal, "SMU", "V", (own, *smu_out, rating)),
                PathLimit(terminal, "FPGA board", "V", (own, rating))]
    out.append(PathLimit("gate", "FPGA board", "V",
                         (("safety.gate_voltage_max", s.gate_voltage_max), rating)))
    out.append(PathLimit("compliance", "SMU", "A", (
        ("safety.compliance_current_max", s.compliance_current_max),
        (f"{smu.name} range", smu.range_of("compliance_current").high))))
    widths = pulse.range_of("pulse_width")
    out.append(PathLimit("shortest pulse", "pulse generator", "s", (
        ("safety.pulse_width_min", s.pulse_width_min),
        (f"{pulse.name} range", widths.low)), smallest=False))
    out.append(PathLimit("longest pulse", "pulse generator", "s", (
        ("safety.pulse_width_max", s.pulse_width_max),
        (f"{pulse.name} range", widths.high))))
    out.append(PathLimit("shortest pulse", "FPGA board", "s", (
        ("safety.pulse_width_min", s.pulse_width_min),
        ("FPGA board width_min", board.width_min)), smallest=False))
    out.append(PathLimit("longest pulse", "FPGA board", "s", (
        ("safety.pulse_width_max", s.pulse_width_max),
        ("FPGA board width_max", board.width_max))))
    return out
