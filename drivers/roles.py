"""Role interfaces the protocols program against; each instrument model implements one.

Protocols never name a model: any SMU that can source a voltage and measure a current is a
``SourceMeter``, any instrument that fires one shaped pulse on command a ``PulseGenerator``.
All arguments and results are SI (V, A, s).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class BenchInstrument(ABC):
    """What every instrument on the bench offers: who it is, a safe state, its errors."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """The ``*IDN?`` reply (maker, model, serial, firmware)."""

    @abstractmethod
    def output_off(self) -> None:
        """Turn the output off (safe state)."""

    @abstractmethod
    def check_errors(self) -> None:
        """Raise ``InstrumentError`` if the instrument reported an error."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""


class SourceMeter(BenchInstrument):
    """Sources a DC voltage with a current limit and measures the current."""

    @abstractmethod
    def apply_voltage(self, voltage: float, compliance_current: float) -> None:
        """Source ``voltage`` (V) limited to ``compliance_current`` (A), output on."""

    @abstractmethod
    def measure_current(self) -> float:
        """One current reading (A) at the sourced voltage."""

    @abstractmethod
    def sweep_voltage(self, levels: Sequence[float], compliance_current: float, *,
                      delay: float, nplc: float) -> NDArray[np.float64]:
        """Run a list sweep in the instrument: source each of ``levels`` (V) in turn, limited
        to ``compliance_current`` (A), wait ``delay`` (s), integrate ``nplc`` power-line
        cycles, and return the current measured at each level (A).

        The sweep is the instrument's own (its list-sweep trigger model), not one query per
        point; longer sweeps than it holds are run as several. Every level is checked
        against the setup's limits before any is sent. The output stays on afterwards, at
        0 V.
        """


class PulseGenerator(BenchInstrument):
    """Fires single voltage pulses of a configured shape, one per ``fire``."""

    @abstractmethod
    def configure_pulse(
        self, amplitude: float, width: float, edge_time: float | None = None
    ) -> None:
        """Shape the next pulses: ``amplitude`` (V, signed, from 0 V), ``width`` and edges (s).

        ``edge_time`` None keeps the edges as they are.
        """

    @abstractmethod
    def fire(self) -> None:
        """Fire exactly one pulse and return when it is complete."""

    @abstractmethod
    def configure_train(self, amplitudes: Sequence[float], width: float) -> None:
        """Shape a train for bursts: one pulse per amplitude (V, signed, from 0 V), in order,
        ``width`` (s) each, the output back at 0 V between them. Every level and the width
        are checked against the setup's limits before any is written."""

    @abstractmethod
    def fire_burst(self, repeats: int) -> None:
        """Play the configured train ``repeats`` times back to back on one trigger (the
        instrument's burst mode, not one trigger per pulse) and return when it is done."""
