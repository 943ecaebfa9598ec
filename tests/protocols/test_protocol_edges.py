"""Edges of the protocols that a mutation check found unguarded: records streamed as cells
finish, and the widths gate calibration checks before its first pulse."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from drivers.errors import SafetyError
from protocols.calibration import calibrate_gate
from protocols.levels import LevelPlan
from tests.protocols.conftest import MakeChip

CELLS = np.arange(24)


def test_host_write_verify_hands_over_each_record_as_its_cell_finishes(
        make_chip: MakeChip, plan: LevelPlan) -> None:
    bench, _ = make_chip()
    lo, hi = plan.band(CELLS % plan.n_levels)
    got: list[np.ndarray] = []
    records = bench.program(CELLS, lo, hi, mode="host", on_result=got.append)
    assert [len(r) for r in got] == [1] * CELLS.size
    np.testing.assert_array_equal(np.concatenate(got), records)


def test_with_wait_then_verify_records_are_handed_over_once_final(
        make_chip: MakeChip, plan: LevelPlan) -> None:
    bench, _ = make_chip()
    bench.params = replace(bench.params, wait=5.0)
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
