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
    model, and its list sweep (``_enter_sweep``, ``_arm``, ``_trigger``, ``_leave_sweep``; at most
    ``sweep_points_max`` points)."""

    source_voltage: Any
    compliance_current: Any
    output_enabled: Any
    current: Any
    nplc: Any
    source_delay: Any
    sweep_points_max: ClassVar[int]
    _output_on = False
    _sweep_mode = False
    """Whether the instrument may be set to run a list sweep on its next trigger."""
    _armed: tuple[bytes, float, float, float] | None = None
    """The sweep (levels, compliance, delay, NPLC) the instrument holds ready to repeat."""

    def apply_voltage(self, voltage: float, compliance_current: float) -> None:
        """Source ``voltage`` (V) limited to ``compliance_current`` (A), output on.

        Both values are checked before either is written; the limit is set first, and the
        error queue read, so the new voltage never drives more than the new compliance (an
        instrument that refused the limit raises before anything is sourced).
        """
        self._fixed_mode()
        self._source(voltage, compliance_current)

    def _source(self, voltage: float, compliance_current: float) -> None:
        """``apply_voltage`` without leaving sweep mode: in it, the level is the bias."""
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
        self._fixed_mode()
        return float(self.current)

    def output_off(self) -> None:
        """Turn the output off (a sweep held ready has to be set up again)."""
        self._armed = None
        self.output_enabled = False
        self._output_on = False

    def sweep_voltage(self, levels: Sequence[float], compliance_current: float, *,
                      delay: float, nplc: float) -> NDArray[np.float64]:
        """Run ``levels`` (V) as the instrument's list sweep; see ``SourceMeter``.

        The largest level is checked like a source voltage (instrument range, the setup's
        SMU limit and every line routed to the SMU), and held by the interlock while the
        sweep runs; a sweep longer than ``sweep_points_max`` runs as several. The instrument
        keeps the sweep set up, at its bias level of 0 V between runs, and only what changed
        is sent again: the same sweep again is one trigger.
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
        plan = (volts.tobytes(), float(compliance_current), float(delay), float(nplc))
        held = self._armed if self._output_on else None
        if held is None or held[1] != plan[1]:
            self._source(0.0, compliance_current)
        if held is None or held[2] != plan[2]:
            self.source_delay = delay
        if held is None or held[3] != plan[3]:
            self.nplc = nplc
        ready = held is not None and held[0] == plan[0]
        key = (id(self), "source_voltage")
        self.interlock.hold_level("smu", key, peak)
        per_point = delay + nplc * LINE_PERIOD
        currents = []
        for start in range(0, volts.size, self.sweep_points_max):
            chunk = volts[start:start + self.sweep_points_max]
            if not self._sweep_mode:
                self._sweep_mode = True
                self._enter_sweep()
            if not ready:
                self._arm(chunk)
            self._armed = None
            currents.append(self._trigger(chunk.size, 2 * per_point * chunk.size))
        if volts.size <= self.sweep_points_max:
            self._armed = plan
        self.interlock.settle_level("smu", key, 0.0)
        return np.concatenate(currents)

    def _fixed_mode(self) -> None:
        """Leave sweep mode, if the instrument may be in it, for a fixed level or reading."""
        if self._sweep_mode:
            self._armed = None
            self._leave_sweep()
            self._sweep_mode = False

    @abstractmethod
    def _enter_sweep(self) -> None:
        """Set the instrument to run its source list on the next trigger."""

    @abstractmethod
    def _arm(self, levels: NDArray[np.float64]) -> None:
        """Load ``levels`` (at most ``sweep_points_max``, checked already) as the source list
        of the next trigger."""

    @abstractmethod
    def _trigger(self, points: int, seconds: float) -> NDArray[np.float64]:
        """Run the sweep set up, of ``points`` points taking about ``seconds``; read the
        error queue and return its currents (A)."""

    @abstractmethod
    def _leave_sweep(self) -> None:
        """Return the instrument from list-sweep mode to a fixed source level."""

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
