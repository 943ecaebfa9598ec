"""The setup's safety limits, checked by every driver before anything is written.

Limits are the lab's own (what the chip and its probe card tolerate), usually tighter than
the instruments' ranges. A request outside them raises ``SafetyLimitError`` and nothing is
sent, so a bug upstream can never reach the chip.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drivers.errors import SafetyLimitError

Terminal = Literal["smu", "pulse", "bit_line", "source_line", "gate"]


class SafetyLimits(BaseModel):
    """Largest voltages per terminal, largest compliance current and pulse-width range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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

    def check_voltage(self, terminal: Terminal, volts: float) -> float:
        """Return ``volts`` if its magnitude is within the terminal's limit, else raise."""
        field = f"{terminal}_voltage_max"
        limit: float = getattr(self, field)
        if not math.isfinite(volts) or abs(volts) > limit:
            raise SafetyLimitError(
                f"{terminal} voltage {volts:g} V is beyond the setup's limit of ±{limit:g} V; "
                f"request a smaller magnitude or raise safety.{field} in the setup file"
            )
        return volts

    def check_compliance(self, amps: float) -> float:
        """Return ``amps`` if it is a positive current limit within the setup's, else raise."""
        limit = self.compliance_current_max
        if not math.isfinite(amps) or not 0 < amps <= limit:
            raise SafetyLimitError(
                f"compliance current {amps:g} A is outside (0, {limit:g}] A; request a "
                "smaller limit or raise safety.compliance_current_max in the setup file"
            )
        return amps

    def check_width(self, seconds: float) -> float:
        """Return ``seconds`` if the pulse width is within the setup's range, else raise."""
        lo, hi = self.pulse_width_min, self.pulse_width_max
        if not math.isfinite(seconds) or not lo <= seconds <= hi:
            raise SafetyLimitError(
                f"pulse width {seconds:g} s is outside [{lo:g}, {hi:g}] s; request a width in "
                "range or change safety.pulse_width_min/pulse_width_max in the setup file"
            )
        return seconds
