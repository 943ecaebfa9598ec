"""Riding out a transient instrument error without ever repeating a pulse.

An entry in an instrument's error queue can be transient (a glitch, a stray command from
another program). These wrappers retry once what is safe to repeat — settings, which are
idempotent, and reads, which do not disturb a cell — and never repeat a sweep or re-fire a
pulse: an error reported after ``*OPC?`` confirmed the pulse means the pulse was delivered,
and only "trigger ignored" means it was not (then firing again is the first and only pulse).
An error that comes back on the retry is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from drivers.errors import InstrumentError
from drivers.roles import BenchInstrument, PulseGenerator, SourceMeter

log = logging.getLogger(__name__)

T = TypeVar("T")

TRIGGER_IGNORED = -211
"""SCPI error: a trigger arrived when none was expected, so nothing was output."""


class _Retrying(BenchInstrument):
    """Retry-once bookkeeping and the delegation every wrapped instrument shares."""

    def __init__(self, inner: BenchInstrument) -> None:
        self.inner = inner
        self.tolerated = 0
        """Instrument errors ridden out so far (archive it with a run)."""

    def _once_more(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except InstrumentError as err:
            self.tolerated += 1
            log.warning("%s; retrying once", err)
            return action()

    @property
    def identity(self) -> str:
        return self.inner.identity

    def output_off(self) -> None:
        self._once_more(self.inner.output_off)

    def check_errors(self) -> None:
        self.inner.check_errors()

    def close(self) -> None:
        self.inner.close()


class RetryingSourceMeter(_Retrying, SourceMeter):
    """A SourceMeter whose settings and readings survive one transient instrument error."""

    inner: SourceMeter

    def apply_voltage(self, voltage: float, compliance_current: float) -> None:
        self._once_more(lambda: self.inner.apply_voltage(voltage, compliance_current))

    def measure_current(self) -> float:
        return self._once_more(self.inner.measure_current)

    def sweep_voltage(self, levels: Sequence[float], compliance_current: float, *,
                      delay: float, nplc: float) -> NDArray[np.float64]:
        """Never retried: every point of a sweep has already biased the cells."""
        return self.inner.sweep_voltage(levels, compliance_current, delay=delay, nplc=nplc)


class RetryingPulseGenerator(_Retrying, PulseGenerator):
    """A PulseGenerator that rides out transient errors and fires each pulse exactly once."""

    inner: PulseGenerator

    def configure_pulse(self, amplitude: float, width: float,
                        edge_time: float | None = None) -> None:
        self._once_more(lambda: self.inner.configure_pulse(amplitude, width, edge_time))

    def configure_train(self, amplitudes: Sequence[float], width: float) -> None:
        self._once_more(lambda: self.inner.configure_train(amplitudes, width))

    def fire_burst(self, repeats: int) -> None:
        """Never retried: a burst that reported an error may have cycled the cells."""
        self.inner.fire_burst(repeats)

    def fire(self) -> None:
        try:
            self.inner.fire()
        except InstrumentError as err:
            self.tolerated += 1
            if err.code == TRIGGER_IGNORED:
                log.warning("%s; no pulse was output, firing once more", err)
                self.inner.fire()
            else:
                log.warning("%s; the pulse completed (*OPC?), not firing again", err)
