"""Gate calibration: a monotone median SET curve over the sweep, from one word line.

``Bench.calibrate_gate`` samples cells of one word line (``sample_cells``) and runs
``protocols.calibration.calibrate_gate`` on the simulated bench; ``GateCalibration`` turns
the curve into each cell's SET gate start for IGVVA and ISPVA.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import ArrayLike

from drivers.fpga.writeverify import Scheme
from labctl.bench import Bench
from mock_hw import SimulatedBench
from protocols.calibration import GATE_SWEEP, GateCalibration, calibrate_gate, sample_cells
from protocols.levels import LevelPlan

MakeChip = Callable[..., tuple[Bench, SimulatedBench]]
"""The ``make_chip`` fixture of conftest.py."""


def test_the_median_curve_is_monotone_follows_the_compliance_law_and_spans_the_levels(
        make_chip: MakeChip, plan: LevelPlan) -> None:
    """Over the default sweep the medians never decrease, follow the universal SET law
    G = I_CC(V_G) / V0 of the simulated devices to within 20 % (median of 16 cells; the
    cycle-to-cycle spread is 5-20 %) wherever it lies inside 10-200 uS, and reach below the
    lowest and above the highest level, so every level's gate lies inside the sweep."""
    bench, sim = make_chip()
    cal = bench.calibrate_gate(np.arange(32))
    np.testing.assert_array_equal(cal.gates, np.asarray(GATE_SWEEP))
    assert np.all(np.diff(cal.g_median) >= 0)
    m = sim.array.model
    law = m.k_transistor * np.maximum(cal.gates - m.v_th, 0.0) ** m.alpha / m.v0
    inside = (law > 10e-6) & (law < 200e-6)
    assert inside.sum() >= 15
    np.testing.assert_allclose(cal.g_median[inside], law[inside], rtol=0.2)
    assert cal.g_median[0] < plan.g_min and cal.g_median[-1] > plan.g_max
    gates = cal.gate_for(plan.centres)
    assert np.all((gates > cal.gates[0]) & (gates < cal.gates[-1]))
    assert np.all(np.diff(gates) > 0)


def test_the_curve_stays_monotone_when_the_raw_medians_are_not(make_chip: MakeChip) -> None:
    """A 10 mV sweep on 4 cells: neighbouring gates differ by less than the cycle-to-cycle
    spread, so the raw medians zig-zag (they do for this seed); the curve is still
    non-decreasing (np.interp in ``gate_for`` needs that) and inside the sweep window."""
    bench, _ = make_chip()
    _, rows, cols = bench.geometry
    gates = np.round(np.arange(0.9, 1.0, 0.01), 3)
    cal = calibrate_gate(bench.fpga, bench.pulse, np.arange(16, 20), rows, cols,
                         bench.params, gates)
    assert np.all(np.diff(cal.g_median) >= 0)
    assert cal.g_median[-1] > cal.g_median[0] > 0
    probe = cal.gate_for(np.linspace(0.0, 2 * cal.g_median[-1], 50))
    assert np.all(np.diff(probe) >= 0) and probe.min() >= 0.9 and probe.max() <= gates[-1]


def test_each_gate_is_measured_from_a_deep_reset_on_one_word_line(
        make_chip: MakeChip, monkeypatch: pytest.MonkeyPatch) -> None:
    """For each gate of the sweep, in order: two RESET pulses at reset_max with the gate
    fully on, then one SET at v_set with that gate, each reaching exactly the sample (one
    word line); the bench is left safe."""
    bench, sim = make_chip()
    pulses: list[tuple[str, tuple[int, ...], float, float]] = []
    array = sim.array
    set_pulse, reset_pulse = array.set_pulse, array.reset_pulse

    def recording(kind: str, pulse: Callable[..., None]) -> Callable[..., None]:
        def record(cells: ArrayLike, volts: float, gate: ArrayLike, width: float) -> None:
            g = np.unique(np.asarray(gate))
            assert g.size == 1, "one gate voltage per pulse"
            pulses.append((kind, tuple(np.asarray(cells).tolist()), float(volts), float(g[0])))
            pulse(cells, volts, gate, width)
        return record

    monkeypatch.setattr(array, "set_pulse", recording("set", set_pulse))
    monkeypatch.setattr(array, "reset_pulse", recording("reset", reset_pulse))
    gates = [0.8, 1.0, 1.2]
    sample = tuple(range(16, 32))  # word line 1
    _, rows, cols = bench.geometry
    cal = calibrate_gate(bench.fpga, bench.pulse, np.array(sample), rows, cols, bench.params,
                         gates)
    p = bench.params
    expected = []
    for v_gate in gates:
        expected += [("reset", sample, p.reset_max, p.reset_gate)] * 2
        expected += [("set", sample, p.v_set, v_gate)]
    assert [(k, c, round(v, 6), round(g, 6)) for k, c, v, g in pulses] == [
        (k, c, round(v, 6), round(g, 6)) for k, c, v, g in expected]
    np.testing.assert_array_equal(cal.gates, gates)
    assert not sim.gate.any() and not sim.selected.any()


def test_start_gates_lie_below_the_target_gate_for_igvva_and_above_it_for_ispva(
        make_chip: MakeChip, plan: LevelPlan) -> None:
    """IGVVA ramps the gate up from below the gate that reaches lo; ISPVA fixes the gate
    above the one that reaches hi, so its bit-line ramp approaches the band from below."""
    bench, _ = make_chip()
    cal = bench.calibrate_gate(np.arange(32))
    lo, hi = plan.band(np.arange(plan.n_levels))
    igvva = cal.start_gate(lo, hi, Scheme.IGVVA)
    ispva = cal.start_gate(lo, hi, Scheme.ISPVA)
    assert np.all(igvva < cal.gate_for(lo)) and np.all(ispva > cal.gate_for(hi))
    assert np.all(igvva < ispva)
    assert np.all((igvva >= cal.gates[0]) & (ispva <= cal.gates[-1]))


def test_start_gates_on_a_linear_curve() -> None:
    """On G = 200 uS/V x (V_G - 0.6) the start gates are exact: IGVVA reaches 80 % of lo,
    ISPVA 120 % of hi (undershoot 0.2); beyond the curve they clamp to the sweep."""
    gates = np.linspace(0.6, 1.8, 13)
    cal = GateCalibration(gates, 200e-6 * (gates - 0.6))
    np.testing.assert_allclose(cal.start_gate([50e-6], [60e-6], Scheme.IGVVA),
                               [0.6 + 0.8 * 50e-6 / 200e-6])
    np.testing.assert_allclose(cal.start_gate([50e-6], [60e-6], Scheme.ISPVA),
                               [0.6 + 1.2 * 60e-6 / 200e-6])
    np.testing.assert_allclose(cal.start_gate([1.0], [1.0], Scheme.ISPVA), [1.8])
    np.testing.assert_allclose(cal.start_gate([0.0], [0.0], Scheme.IGVVA), [0.6])


def test_the_sample_stays_on_the_word_line_holding_most_cells() -> None:
    """Cells over several word lines of two tiles (4 x 8 each): the sample is drawn from
    the word line holding most of them (tile 1, row 1: flat 40-47), spread over its
    columns from the first to the last, capped at ``size``."""
    cells = np.array([0, 1, 2, 9, 10, 41, 43, 44, 46, 47, 8, 11])
    np.testing.assert_array_equal(sample_cells(cells, cols=8), [41, 43, 44, 46, 47])
    np.testing.assert_array_equal(sample_cells(cells, cols=8, size=3), [41, 44, 47])
    row = 16 + np.arange(16)
    assert set(sample_cells(np.concatenate([row, [0, 1, 2]]), cols=16, size=64)) == set(row)
