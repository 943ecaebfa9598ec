"""Edges of the protocols that a mutation check found unguarded: records streamed as cells
finish, and the widths gate calibration checks before its first pulse."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from drivers.errors import SafetyError
from drivers.fpga.writeverify import Scheme, WriteVerifyParams
from labctl.backends import MOCK_LIMITS, simulated_bench
from labctl.bench import Bench
from mock_hw import RRAMArray, SimulatedBench
from mock_hw.params import DeviceModel
from protocols.calibration import calibrate_gate, measure_reset_response
from protocols.levels import LevelPlan
from protocols.write_verify import write_verify_host
from tests.protocols.conftest import MakeChip

CELLS = np.arange(24)


class ScriptedCells:
    """Host operations on cells whose conductance a SET raises and a RESET lowers by fixed
    steps, that drop by ``drift`` (S) at every wait; every pulse and read is logged."""

    def __init__(self, g: list[float], step: float = 10e-6, drift: float = 0.0) -> None:
        self.g = list(g)
        self.step = step
        self.drift = drift
        self.pulses: list[tuple[str, int, float]] = []
        self.reads: list[int] = []
        self.t = 0.0

    def read(self, cell: int, v_read: float, reads: int) -> float:
        self.reads.append(cell)
        return self.g[cell]

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        self.pulses.append(("set", cell, v_gate))
        self.g[cell] += self.step

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        self.pulses.append(("reset", cell, v_gate))
        self.g[cell] -= self.step

    def wait(self, seconds: float) -> None:
        self.t += seconds
        self.g = [g - self.drift for g in self.g]

    def clock(self) -> float:
        return self.t


def test_cells_without_a_calibrated_gate_start_their_ramp_at_the_parameters_start() -> None:
    params = WriteVerifyParams(scheme=Scheme.IGVVA, gate_start=0.7, confirm=False)
    ops = ScriptedCells([0.0, 0.0])
    write_verify_host([0, 1], [25e-6, 25e-6], [35e-6, 35e-6], params, ops,
                      gate_start=[float("nan"), 1.0])
    first_gate = {cell: gate for _, cell, gate in reversed(ops.pulses)}
    assert first_gate == {0: pytest.approx(0.7), 1: pytest.approx(1.0)}


def test_a_cell_that_drifts_out_with_its_budget_spent_stays_failed_and_is_not_pulsed() -> None:
    params = WriteVerifyParams(max_pulses=3, confirm=False, wait=1.0)
    ops = ScriptedCells([0.0], step=10e-6, drift=5e-6)  # 3 SETs reach 30 uS: in band
    (record,) = write_verify_host([0], [28e-6], [32e-6], params, ops)
    assert len(ops.pulses) == 3 and record["pulses"] == 3
    assert not record["success"]
    assert ops.reads == [0, 0, 0, 0, 0]  # 4 verifies while pulsing, 1 after the only wait


def test_host_write_verify_hands_over_each_record_as_its_cell_finishes(
        make_chip: MakeChip, plan: LevelPlan) -> None:
    bench, _ = make_chip()
    lo, hi = plan.band(CELLS % plan.n_levels)
    got: list[np.ndarray] = []
    records = bench.program(CELLS, lo, hi, mode="host", on_result=got.append)
    assert [len(r) for r in got] == [1] * CELLS.size
    np.testing.assert_array_equal(np.concatenate(got), records)


@pytest.mark.parametrize("wait", [0.5, 5.0])
def test_with_wait_then_verify_records_are_handed_over_once_final(
        make_chip: MakeChip, plan: LevelPlan, wait: float) -> None:
    bench, _ = make_chip()
    bench.params = replace(bench.params, wait=wait)
    lo, hi = plan.band(CELLS % plan.n_levels)
    got: list[np.ndarray] = []
    records = bench.program(CELLS, lo, hi, mode="host", on_result=got.append)
    assert len(got) == 1
    np.testing.assert_array_equal(got[0], records)


def test_gate_calibration_refuses_a_pulse_width_beyond_the_limit_before_any_pulse(
        make_chip: MakeChip) -> None:
    bench, sim = make_chip()
    before = sim.array.clock
    bench.params = replace(bench.params, set_width=50e-6)
    with pytest.raises(SafetyError, match="gate calibration") as err:
        bench.calibrate_gate(CELLS)
    assert err.value.value == 50e-6
    assert sim.array.clock == before


@pytest.mark.parametrize(("change", "named"), [
    ({"v_max": 4.5}, "forming ramp"), ({"gate": 4.5}, "forming gate"),
    ({"width": 20e-6}, "forming width"), ({"v_read": 4.2}, "forming v_read"),
])
def test_forming_beyond_a_limit_is_refused_naming_what_before_any_pulse(
        make_chip: MakeChip, change: dict, named: str) -> None:
    bench, sim = make_chip(formed_at_start=False)
    before = sim.array.clock
    bench.forming = replace(bench.forming, **change)
    with pytest.raises(SafetyError, match=named):
        bench.form(CELLS)
    assert sim.array.clock == before and not sim.array.formed[CELLS].any()


@pytest.mark.parametrize(("change", "gates", "named"), [
    ({"reset_max": 3.8}, None, "gate calibration reset_max"),
    ({"reset_gate": 4.5}, None, "gate calibration reset_gate"),
    ({}, [1.0, 4.5], "gate calibration sweep"),
    ({"v_set": 4.5}, None, "gate calibration v_set"),
    ({"v_read": 4.2}, None, "gate calibration v_read"),
])
def test_gate_calibration_beyond_a_limit_is_refused_naming_what_before_any_pulse(
        make_chip: MakeChip, change: dict, gates: list[float] | None, named: str) -> None:
    bench, sim = make_chip()
    before = sim.array.clock
    params = replace(bench.params, **change)
    sweep = {} if gates is None else {"gates": gates}
    _, rows, cols = bench.geometry
    with pytest.raises(SafetyError, match=named):
        calibrate_gate(bench.fpga, bench.pulse, CELLS[:8], rows, cols, params, **sweep)
    assert sim.array.clock == before


@pytest.mark.parametrize(("change", "gates", "set_gate", "named"), [
    ({"reset_max": 3.8}, None, 1.2, "RESET-gate sweep reset_max"),
    ({}, [1.0, 4.5], 1.2, "RESET-gate sweep sweep"),
    ({}, None, 4.5, "RESET-gate sweep set gate"),
])
def test_the_reset_gate_sweep_beyond_a_limit_is_refused_naming_what_before_any_pulse(
        make_chip: MakeChip, change: dict, gates: list[float] | None, set_gate: float,
        named: str) -> None:
    bench, sim = make_chip()
    before = sim.array.clock
    _, rows, cols = bench.geometry
    with pytest.raises(SafetyError, match=named):
        measure_reset_response(bench.fpga, bench.pulse, CELLS[:8], rows, cols,
                               replace(bench.params, **change), set_gate, gates)
    assert sim.array.clock == before


def bench_within(formed: bool, **limits: float) -> tuple[Bench, SimulatedBench]:
    """A small simulated bench whose safety limits differ from the mock's by ``limits``."""
    sim = SimulatedBench(RRAMArray(DeviceModel(rows=8, cols=16, formed_at_start=formed),
                                   seed=1))
    return simulated_bench(sim, MOCK_LIMITS.model_copy(update=limits)), sim


@pytest.mark.parametrize(("limit", "change", "named"), [
    ({"pulse_voltage_max": 3.0}, {"reset_max": 3.2}, "gate calibration reset_max"),
    ({"pulse_voltage_max": 3.0}, {"v_set": 3.2}, "gate calibration v_set"),
    ({"bit_line_voltage_max": 3.0}, {"v_set": 3.2}, "gate calibration v_set"),
])
def test_whichever_path_binds_a_calibration_voltage_the_refusal_names_it(
        limit: dict, change: dict, named: str) -> None:
    bench, sim = bench_within(formed=True, **limit)
    with bench:
        _, rows, cols = bench.geometry
        with pytest.raises(SafetyError, match=named):
            calibrate_gate(bench.fpga, bench.pulse, CELLS[:8], rows, cols,
                           replace(bench.params, **change))
        assert sim.array.clock == 0.0


def test_a_forming_ramp_beyond_the_pulse_generator_limit_is_refused_naming_it() -> None:
    bench, sim = bench_within(formed=False, pulse_voltage_max=3.0)
    with bench:
        bench.forming = replace(bench.forming, v_max=3.2)
        with pytest.raises(SafetyError, match="forming ramp"):
            bench.form(CELLS)
        assert not sim.array.formed[CELLS].any()
