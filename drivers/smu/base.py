"""What every SMU model shares: the SourceMeter role on top of declared settings."""

from __future__ import annotations

from typing import Any

from drivers.errors import ConfigError
from drivers.instrument import Instrument
from drivers.roles import SourceMeter


class VoltageSourceMeter(Instrument, SourceMeter):
    """A ``SourceMeter`` built from ``source_voltage``, ``compliance_current``,
    ``output_enabled`` and ``current`` settings declared by the model."""

    source_voltage: Any
    compliance_current: Any
    output_enabled: Any
    current: Any
    _output_on = False

    def apply_voltage(self, voltage: float, compliance_current: float) -> None:
        """Source ``voltage`` (V) limited to ``compliance_current`` (A), output on.

        Both values are checked before either is written; the limit is set first, and the
        error queue read, so the new voltage never drives more than the new compliance (an
        instrument that refused the limit raises before anything is sourced).
        """
        settings = type(self)
        settings.source_voltage.validate(self, voltage)
        settings.compliance_current.validate(self, compliance_current)
        self.compliance_current = compliance_current
        self.check_errors()
        self.source_voltage = voltage
        if not self._output_on:
            self.output_enabled = True
            self._output_on = True
        self.check_errors()

    def measure_current(self) -> float:
        """One current reading (A) at the sourced voltage; the output must be on."""
        if not self._output_on:
            raise ConfigError(
                f"{self.model}: output is off; call apply_voltage() before measure_current()"
            )
        return float(self.current)

    def output_off(self) -> None:
        """Turn the output off."""
        self.output_enabled = False
        self._output_on = False
