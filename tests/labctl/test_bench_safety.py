"""Nothing beyond a terminal's limit reaches the chip: every out-of-limit request through the
project's own bench raises ``SafetyError`` and leaves every transport's transcript empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import pytest

from drivers.errors import SafetyError
from drivers.fpga.writeverify import WriteVerifyParams
from drivers.safety import SafetyLimits
from labctl.backends import simulated_bench
from labctl.bench import Bench
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from protocols.addressing import connect_row
from protocols.forming import FormingParams
from tests.interlock import Transcript

LIMITS = SafetyLimits(smu_voltage_max=0.5, pulse_voltage_max=4.0, bit_line_voltage_max=3.0,
                      source_line_voltage_max=2.8, gate_voltage_max=3.0,
                      compliance_current_max=1e-3, pulse_width_min=20e-9, pulse_width_max=10e-6)
"""Each terminal's own limit binds below the instruments' and the board's (5 V)."""


@pytest.fixture
def bench() -> Iterator[Bench]:
    model = DeviceModel(rows=8, cols=8, formed_at_start=True)
    with simulated_bench(SimulatedBench(RRAMArray(model, seed=3)), LIMITS) as b:
        yield b


@pytest.fixture
def wire(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Transcript:
    return Transcript(bench, monkeypatch)


def refused(wire: Transcript, terminal: str, value: float, limit: float,
            request: Callable[[], object]) -> None:
    """``request`` raises SafetyError naming the terminal, value and limit; nothing is sent."""
    with pytest.raises(SafetyError) as raised:
        request()
    err = raised.value
    assert (err.terminal, err.value, err.limit) == (terminal, pytest.approx(value), limit)
    assert f"{value:g}" in str(err) and f"{limit:g}" in str(err)
    assert wire.sent == []


def test_a_gate_voltage_beyond_the_gate_limit_is_never_sent(bench: Bench,
                                                            wire: Transcript) -> None:
    refused(wire, "gate", 3.2, 3.0, lambda: bench.fpga.set_gate(0, [1], [3.2]))


def test_a_pulse_shaped_beyond_a_routed_source_line_is_never_sent(bench: Bench,
                                                                  wire: Transcript) -> None:
    connect_row(bench.fpga, 0, 1, np.array([2]), 2.5, reset=True)
    wire.sent.clear()
    refused(wire, "source_line", 2.9, 2.8, lambda: bench.pulse.configure_pulse(2.9, 1e-6))


def test_a_source_line_routed_to_a_pulse_beyond_its_limit_is_never_sent(
        bench: Bench, wire: Transcript) -> None:
    bench.pulse.configure_pulse(2.9, 1e-6)  # fine for bit lines (3.0 V)
    wire.sent.clear()
    refused(wire, "source_line", 2.9, 2.8,
            lambda: bench.fpga.route(0, bit_lines=[], source_lines=[1], to="pulse"))


def test_a_bit_line_routed_to_a_pulse_beyond_its_limit_is_never_sent(
        bench: Bench, wire: Transcript) -> None:
    bench.pulse.configure_pulse(3.5, 1e-6)
    wire.sent.clear()
    refused(wire, "bit_line", 3.5, 3.0,
            lambda: bench.fpga.route(0, bit_lines=[4], source_lines=[], to="pulse"))


def test_a_negative_pulse_counts_by_its_magnitude(bench: Bench, wire: Transcript) -> None:
    bench.fpga.route(0, bit_lines=[4], source_lines=[], to="pulse")
    wire.sent.clear()
    refused(wire, "bit_line", -3.3, 3.0, lambda: bench.pulse.configure_pulse(-3.3, 1e-6))


@pytest.mark.parametrize(("terminal", "value", "limit", "ask"), [
    ("pulse", 4.2, 4.0, lambda b: b.pulse.configure_pulse(4.2, 1e-6)),
    ("pulse_width", 20e-6, 10e-6, lambda b: b.pulse.configure_pulse(1.0, 20e-6)),
    ("smu", 0.6, 0.5, lambda b: b.smu.apply_voltage(0.6, 1e-4)),
    ("compliance", 2e-3, 1e-3, lambda b: b.smu.apply_voltage(0.2, 2e-3)),
    ("bit_line", 3.2, 3.0, lambda b: b.fpga.read_cells([1, 2], 3.2)),
    ("bit_line", 3.2, 3.0, lambda b: b.fpga.read_array(0, 3.2)),
])
def test_each_instrument_and_board_limit_is_enforced_before_a_byte(
        bench: Bench, wire: Transcript, terminal: str, value: float, limit: float,
        ask: Callable[[Bench], object]) -> None:
    refused(wire, terminal, value, limit, lambda: ask(bench))


def test_the_smu_is_held_to_a_bit_line_limit_below_its_own(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    limits = replace_limits(bit_line_voltage_max=0.3)
    with simulated_bench(SimulatedBench(RRAMArray(DeviceModel(rows=8, cols=8), 1)),
                         limits) as bench:
        bench.fpga.route(0, bit_lines=[3], source_lines=[], to="smu")
        wire = Transcript(bench, monkeypatch)
        refused(wire, "bit_line", 0.4, 0.3, lambda: bench.smu.apply_voltage(0.4, 1e-4))


def test_mvm_row_voltages_are_held_to_the_source_line_limit(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    limits = replace_limits(source_line_voltage_max=0.1)
    with simulated_bench(SimulatedBench(RRAMArray(DeviceModel(rows=8, cols=8), 1)),
                         limits) as bench:
        wire = Transcript(bench, monkeypatch)
        top = bench.fpga.identity.dac_max_code
        refused(wire, "source_line", 0.2, 0.1,
                lambda: bench.fpga.mvm_codes(0, np.full(8, top)))


@pytest.mark.parametrize(("change", "terminal", "value", "limit"), [
    ({"reset_gate": 3.4}, "gate", 3.4, 3.0),
    ({"gate_max": 3.1}, "gate", 3.1, 3.0),
    ({"set_max": 3.5}, "bit_line", 3.5, 3.0),
    ({"v_set": 3.3}, "bit_line", 3.3, 3.0),
    ({"reset_max": 2.9}, "source_line", 2.9, 2.8),
    ({"v_read": 0.6}, "smu", 0.6, 0.5),
    ({"set_width": 20e-6}, "pulse_width", 20e-6, 10e-6),
    ({"reset_width": 10e-9}, "pulse_width", 10e-9, 20e-9),
])
@pytest.mark.parametrize("mode", ["fpga", "host"])
def test_a_write_verify_batch_is_checked_as_a_whole_before_it_is_sent(
        bench: Bench, wire: Transcript, change: dict[str, float], terminal: str, value: float,
        limit: float, mode: str) -> None:
    bench.params = replace(WriteVerifyParams(), **change)
    cells = np.arange(4)
    refused(wire, terminal, value, limit,
            lambda: bench.program(cells, np.full(4, 40e-6), np.full(4, 44e-6),
                                  mode=mode))  # type: ignore[arg-type]


def test_a_per_cell_gate_start_beyond_the_gate_limit_refuses_the_batch(
        bench: Bench, wire: Transcript) -> None:
    gates = np.array([1.0, 1.2, 3.3, 1.1])
    refused(wire, "gate", 3.3, 3.0, lambda: bench.fpga.write_verify(
        np.arange(4), 40e-6, 44e-6, WriteVerifyParams(), gate_start=gates))


def test_a_forming_ramp_is_checked_as_a_whole_before_the_first_pulse(
        bench: Bench, wire: Transcript) -> None:
    bench.forming = FormingParams(v_start=2.6, v_step=0.2, v_max=3.4)
    refused(wire, "bit_line", 3.4, 3.0, lambda: bench.form(np.arange(8)))


def test_safe_requests_still_reach_the_chip(bench: Bench, wire: Transcript) -> None:
    bench.params = WriteVerifyParams()
    results = bench.program(np.arange(4), np.full(4, 40e-6), np.full(4, 44e-6), mode="fpga")
    assert results["success"].all() and wire.sent


def replace_limits(**change: float) -> SafetyLimits:
    return LIMITS.model_copy(update=change)
