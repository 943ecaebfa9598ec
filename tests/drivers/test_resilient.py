"""Transient instrument errors are ridden out; a pulse is never fired twice."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from drivers.errors import InstrumentError
from drivers.resilient import RetryingPulseGenerator
from drivers.roles import PulseGenerator


class ScriptedGenerator(PulseGenerator):
    """Fails ``fire``/``configure_pulse`` (and the train's counterparts, which go through them)
    with the queued error codes, counting every call."""

    def __init__(self, fire_errors: list[int], configure_errors: list[int]) -> None:
        self.fire_errors = fire_errors
        self.configure_errors = configure_errors
        self.fired = 0
        self.configured = 0

    identity = "scripted"

    def configure_pulse(self, amplitude: float, width: float,
                        edge_time: float | None = None) -> None:
        self.configured += 1
        if self.configure_errors:
            raise InstrumentError("scripted", self.configure_errors.pop(0), "injected")

    def fire(self) -> None:
        self.fired += 1
        if self.fire_errors:
            raise InstrumentError("scripted", self.fire_errors.pop(0), "injected")

    def configure_train(self, amplitudes: Sequence[float], width: float) -> None:
        self.configure_pulse(amplitudes[0], width)

    def fire_burst(self, repeats: int) -> None:
        self.fire()

    def output_off(self) -> None: ...

    def check_errors(self) -> None: ...

    def close(self) -> None: ...


def test_an_error_after_a_completed_pulse_does_not_fire_again() -> None:
    inner = ScriptedGenerator(fire_errors=[-330], configure_errors=[])
    gen = RetryingPulseGenerator(inner)
    gen.fire()
    assert inner.fired == 1 and gen.tolerated == 1


def test_an_ignored_trigger_fires_once_more() -> None:
    inner = ScriptedGenerator(fire_errors=[-211], configure_errors=[])
    gen = RetryingPulseGenerator(inner)
    gen.fire()
    assert inner.fired == 2 and gen.tolerated == 1


def test_settings_are_retried_once_and_a_persistent_error_is_raised() -> None:
    inner = ScriptedGenerator(fire_errors=[], configure_errors=[-222])
    gen = RetryingPulseGenerator(inner)
    gen.configure_pulse(1.5, 1e-6)
    assert inner.configured == 2
    stubborn = RetryingPulseGenerator(ScriptedGenerator([], [-222, -222]))
    with pytest.raises(InstrumentError, match="-222"):
        stubborn.configure_pulse(1.5, 1e-6)


@pytest.mark.parametrize("code", [-211, -330])
def test_a_burst_is_never_fired_twice(code: int) -> None:
    """Even "trigger ignored" is raised: part of a burst may have cycled the cells."""
    inner = ScriptedGenerator(fire_errors=[code], configure_errors=[])
    gen = RetryingPulseGenerator(inner)
    with pytest.raises(InstrumentError):
        gen.fire_burst(1000)
    assert inner.fired == 1


def test_a_train_setting_is_retried_once() -> None:
    inner = ScriptedGenerator(fire_errors=[], configure_errors=[-222])
    RetryingPulseGenerator(inner).configure_train([1.5, -2.5], 1e-6)
    assert inner.configured == 2
