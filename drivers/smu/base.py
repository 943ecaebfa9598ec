"""What every SMU model shares: the SourceMeter role on top of declared settings."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError, GarbledReply
from drivers.instrument import Instrument
from drivers.roles import SourceMeter

LINE_PERIOD = 1 / 50
"""One power-line cycle at the slower of the two mains frequencies (s): what a sweep's
reply timeout allows per NPLC."""


class VoltageSourceMeter(Instrument, SourceMeter):
    """A ``SourceMeter`` built from ``source_voltage``, ``compliance_current``,
    ``output_enabled``, ``current``, ``nplc`` and ``source_delay`` settings declared by the
    model, and its list sweep (``_list_sweep``, at most ``sweep_points_max`` points)."""

    source_voltage: Any
    compliance_current: Any
    output_enabled: Any
    current: Any
    nplc: Any
    source_delay: Any
    sweep_points_max: ClassVar[int]
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

    def sweep_voltage(self, levels: Sequence[float], compliance_current: float, *,
                      delay: float, nplc: float) -> NDArray[np.float64]:
        """Run ``levels`` (V) as the instrument's list sweep; see ``SourceMeter``.

        The largest level is checked like a source voltage (instrument range, the setup's
        SMU limit and every line routed to the SMU), and held by the interlock while the
        sweep runs; a sweep longer than ``sweep_points_max`` runs as several.
        """
        volts = np.asarray(levels, dtype=np.float64)
        if volts.ndim != 1 or volts.size == 0:
            raise ConfigError(f"{self.model}: a sweep needs at least one level, got "
                              f"{volts.shape}")
        settings = type(self)
        peak = float(volts[np.argmax(np.where(np.isfinite(volts), np.abs(volts), math.inf))])
        settings.source_voltage.validate(self, peak)
        settings.source_delay.validate(self, delay)
        settings.nplc.validate(self, nplc)
        self.apply_voltage(0.0, compliance_current)
        self.source_delay = delay
        self.nplc = nplc
        key = (id(self), "source_voltage")
        self.interlock.hold_level("smu", key, peak)
        per_point = delay + nplc * LINE_PERIOD
        currents = [self._list_sweep(volts[start:start + self.sweep_points_max],
                                     2 * per_point * min(self.sweep_points_max, volts.size))
                    for start in range(0, volts.size, self.sweep_points_max)]
        self.interlock.settle_level("smu", key, 0.0)
        return np.concatenate(currents)

    @abstractmethod
    def _list_sweep(self, levels: NDArray[np.float64], seconds: float) -> NDArray[np.float64]:
        """Run one list sweep of at most ``sweep_points_max`` levels taking about
        ``seconds``; return its currents (A). The levels are checked already."""

    def _readings(self, query: str, reply: str, count: int) -> NDArray[np.float64]:
        """The ``count`` numbers of a sweep's reply, separated by commas."""
        try:
            values = np.array([float(x) for x in reply.split(",")])
        except ValueError:
            values = np.zeros(0)
        if values.size != count:
            raise GarbledReply(self.transport.resource_name, query, reply,
                               f"{count} comma-separated readings")
        return values
