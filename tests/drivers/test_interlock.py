"""The interlock assumes the worse state whenever it cannot know the instruments' or routes'."""

from __future__ import annotations

import pytest

from drivers.errors import SafetyError
from drivers.safety import Interlock, SafetyLimits

LIMITS = SafetyLimits(smu_voltage_max=0.5, pulse_voltage_max=4.0, bit_line_voltage_max=3.0,
                      source_line_voltage_max=2.5, gate_voltage_max=3.0)


@pytest.fixture
def interlock() -> Interlock:
    return Interlock(LIMITS)


def test_before_a_confirmed_safe_state_every_line_may_be_routed(interlock: Interlock) -> None:
    with pytest.raises(SafetyError, match="source line") as raised:
        interlock.check_level("pulse", 2.7)
    assert raised.value.terminal == "source_line"
    interlock.settle_safe_state()
    interlock.check_level("pulse", 2.7)


def test_a_level_whose_write_is_unconfirmed_counts_as_the_larger(interlock: Interlock) -> None:
    interlock.settle_safe_state()
    interlock.settle_level("pulse", "high", 2.0)
    interlock.hold_level("pulse", "high", 3.0)  # the write then fails: unknown which holds
    with pytest.raises(SafetyError, match="3 V"):
        interlock.hold_route(0, [], [1], "pulse")
    interlock.settle_level("pulse", "high", 2.0)
    interlock.hold_route(0, [], [1], "pulse")


def test_an_unconfirmed_route_keeps_its_lines_exposed(interlock: Interlock) -> None:
    interlock.settle_safe_state()
    interlock.hold_route(0, [], [1], "pulse")  # the reply is lost: the line may be routed
    with pytest.raises(SafetyError, match="source line"):
        interlock.check_level("pulse", 2.7)
    interlock.settle_route(0, [], [1], "ground")
    interlock.check_level("pulse", 2.7)


def test_routing_a_line_elsewhere_unexposes_it_only_for_that_line(interlock: Interlock) -> None:
    interlock.settle_safe_state()
    interlock.settle_route(0, [1, 2], [], "smu")
    interlock.settle_route(0, [1], [], "ground")
    assert interlock.exposed("smu") == ("bit_line",)
    interlock.settle_route(1, [2], [], "pulse")  # another tile's line 2: a different line
    assert interlock.exposed("smu") == ("bit_line",)
    interlock.settle_route(0, [2], [], "pulse")
    assert interlock.exposed("smu") == () and interlock.exposed("pulse") == ("bit_line",)


def test_the_levels_of_one_output_add_up_to_its_largest(interlock: Interlock) -> None:
    interlock.settle_safe_state()
    interlock.settle_route(0, [4], [], "pulse")
    interlock.settle_level("pulse", "high", 0.0)
    with pytest.raises(SafetyError, match="bit line"):
        interlock.hold_level("pulse", "low", -3.2)


def test_a_batch_names_its_largest_voltage_on_each_terminal(interlock: Interlock) -> None:
    reaches = [("a", "gate", 1.0), ("b", "gate", 3.4), ("c", "gate", 3.2)]
    with pytest.raises(SafetyError, match=r"^batch b 3\.4 V on the gate") as raised:
        interlock.check_batch("batch", reaches)
    assert (raised.value.value, raised.value.limit) == (3.4, 3.0)
    with pytest.raises(SafetyError, match="nan"):
        interlock.check_batch("batch", [("x", "bit_line", float("nan"))])
    with pytest.raises(SafetyError, match="pulse width"):
        interlock.check_batch("batch", [], [("pulse width", 2e-3)])
