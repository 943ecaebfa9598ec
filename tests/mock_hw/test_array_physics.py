"""Physical properties of the simulated 1T1R array (DEVICE_MODEL.md), with fixed seeds.

Every tolerance is stated next to its assertion; with 4,096 cells per population the
sampling error of a median or a standard deviation is below 1 %, so tolerances of a few
percent separate the model from any broken variant of it.
"""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import RRAMArray

SET_V_BL = 2.0
"""Bit-line SET voltage well above the SET threshold, so each pulse completes."""
RESET_V_GATE = 3.0
"""Gate fully on for RESET (above v_gate_reset_full)."""
WIDTH = 1e-6


def test_set_conductance_rises_with_gate_and_follows_universal_law(make_array) -> None:
    gates = [0.9, 1.2, 1.6, 2.0]
    medians = []
    for v_gate in gates:
        array: RRAMArray = make_array()
        array.set_pulse(None, SET_V_BL, v_gate, WIDTH)
        g = array.conductance()
        expected = float(array.compliance_current(v_gate)) / array.model.v0
        medians.append(np.median(g))
        # Median over devices follows I_CC / V0 (d2d and c2c spreads are median-neutral):
        # within 5 %, while the c2c spread alone is 5-20 % per cell.
        assert np.median(g) == pytest.approx(expected, rel=0.05)
        # Spread: relative IQR within the combined d2d and c2c spread (5 % to 60 %).
        q1, q3 = np.percentile(g, [25, 75])
        assert 0.05 < (q3 - q1) / np.median(g) < 0.6
    assert np.all(np.diff(medians) > 0)


def test_set_spread_is_wider_at_low_compliance(make_array) -> None:
    spreads = []
    for v_gate in (0.8, 2.0):
        array = make_array(v0_d2d_sigma_ln=0.0)
        array.set_pulse(None, SET_V_BL, v_gate, WIDTH)
        g = array.conductance()
        spreads.append(np.std(g) / np.mean(g))
    # Configured c2c spreads: 20 % at 10 uA and 5 % at 200 uA (interpolated in log I_CC).
    assert spreads[0] == pytest.approx(0.20, rel=0.1)
    assert spreads[1] < 0.5 * spreads[0]


def test_pulses_with_the_gate_off_do_nothing(make_array) -> None:
    array = make_array(endurance_median=0.5, endurance_sigma_ln=0.0)  # one pulse
    array.set_pulse(None, SET_V_BL, 1.6, WIDTH)  # one write: the whole budget
    before = array.conductance()
    array.set_pulse(None, SET_V_BL, 0.0, WIDTH)  # no current flows: no switching, no wear
    array.reset_pulse(None, 2.5, 0.0, WIDTH)
    np.testing.assert_array_equal(array.conductance(), before)
    assert np.all(array.writes == 1) and np.all(array.stuck == 0)


def test_reset_lowers_conductance_deeper_at_higher_amplitude(make_array) -> None:
    after = {}
    for v_sl in (1.5, 2.5):
        array = make_array()
        array.set_pulse(None, SET_V_BL, 1.6, WIDTH)
        g_set = array.conductance()
        array.reset_pulse(None, v_sl, RESET_V_GATE, WIDTH)
        g = array.conductance()
        assert np.all(g <= g_set)
        assert np.all(g >= array.g_hrs)  # never below the cell's HRS floor
        after[v_sl] = np.median(g / g_set)
    # Median remaining fraction: about 1 - 0.6/2 = 0.70 at the half-depth voltage, and
    # below 0.45 at 2.5 V (configured maximum depth 0.6).
    assert after[1.5] == pytest.approx(0.70, abs=0.05)
    assert after[2.5] < 0.45


def test_repeated_resets_reach_the_hrs_window(make_array) -> None:
    array = make_array()
    array.set_pulse(None, SET_V_BL, 1.6, WIDTH)
    for _ in range(15):
        array.reset_pulse(None, 2.5, RESET_V_GATE, WIDTH)
    g = array.conductance()
    # HRS is 0.5-10 uS (DEVICE_MODEL.md); the median HRS floor is 2 uS.
    assert 0.5e-6 < np.median(g) < 10e-6


def test_read_noise_matches_configured_relative_sigma(make_array) -> None:
    array = make_array(read_rel_sigma=0.02, read_abs_sigma=0.0, relax_sigma_per_decade=0.0,
                       relax_mu_per_decade=0.0)
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    g = array.conductance()
    reads = np.stack([array.read_conductance(None, 0.1) for _ in range(10)])
    rel = reads / g - 1.0
    # 40,960 samples: std known to 0.4 %; allow 3 %.
    assert np.std(rel) == pytest.approx(0.02, rel=0.03)
    assert abs(np.mean(rel)) < 0.001
    # Reads do not disturb the state.
    np.testing.assert_array_equal(array.conductance(), g)


def test_read_noise_floor_dominates_at_low_conductance(make_array) -> None:
    array = make_array(read_rel_sigma=0.01, read_abs_sigma=0.1e-6)
    g = array.conductance()  # HRS, about 2 uS
    reads = np.stack([array.read_conductance(None, 0.1) for _ in range(5)])
    expected = np.sqrt(np.mean(array.read_sigma(g) ** 2))
    assert np.std(reads - g) == pytest.approx(expected, rel=0.05)
    assert np.median(array.read_sigma(g) / g) > 0.04  # relative noise larger at low G


def test_unformed_cells_barely_conduct_and_forming_needs_the_forming_voltage(make_array
                                                                             ) -> None:
    array = make_array(formed_at_start=False)
    g_hrs = array.model.g_hrs_median
    np.testing.assert_array_equal(array.conductance(), array.model.g_unformed)
    # Read back with the read noise floor: median below 5 % of the HRS median.
    assert abs(np.median(array.read_conductance(None, 0.1))) < 0.05 * g_hrs
    # An ordinary SET pulse (2 V, six spreads below the 3 V median forming voltage) neither
    # forms nor switches a pristine cell.
    assert not array.form(None, SET_V_BL, 1.2, WIDTH).any()
    np.testing.assert_array_equal(array.conductance(), array.model.g_unformed)
    # At 4 V every cell forms into its compliance-limited LRS.
    assert array.form(None, 4.0, 1.2, WIDTH).all()
    expected = float(array.compliance_current(1.2)) / array.model.v0
    assert np.median(array.conductance()) == pytest.approx(expected, rel=0.05)


def test_forming_voltage_spread_forms_part_of_the_array_near_its_median(make_array) -> None:
    array = make_array(formed_at_start=False)
    formed = array.form(None, array.model.v_form_median, 1.2, WIDTH)
    # Half the cells have a forming voltage below the median (binomial sd 0.8 %).
    assert formed.mean() == pytest.approx(0.5, abs=0.04)


def test_relaxation_spread_grows_with_log_time(make_array) -> None:
    array = make_array()
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    g0 = array.conductance()
    m = array.model
    elapsed = 0.0
    spreads = []
    for t in (1.0, 10.0, 100.0, 1e3, 1e4):
        array.advance(t - elapsed)
        elapsed = t
        drift = array.conductance() - g0
        decades = np.log10(1.0 + t / m.relax_t0)
        spreads.append(np.std(drift))
        # s(t) = a log10(1 + t/t0) within 5 %; mean drift mu log10(1 + t/t0) within 5 % of s.
        assert np.std(drift) == pytest.approx(m.relax_sigma_per_decade * decades, rel=0.05)
        assert np.mean(drift) == pytest.approx(m.relax_mu_per_decade * decades,
                                               abs=0.05 * m.relax_sigma_per_decade * decades)
    assert np.all(np.diff(spreads) > 0)


def test_reprogramming_restarts_relaxation(make_array) -> None:
    """A cell reprogrammed at t = 1e4 s relaxes from then on: over the next 10 s its G moves
    by (mu + a z) log10(1 + 10 / t0), about 1 uS spread, as a fresh cell does. Were the clock
    not restarted, it would be 4 decades into its old relaxation and hardly move at all."""
    array = make_array()
    m = array.model
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    array.advance(1e4)
    array.reset_pulse(None, 2.0, RESET_V_GATE, WIDTH)
    g0 = array.conductance()
    array.advance(1e-4)  # relaxation over 1e-4 s is below 1e-4 decades: nothing yet
    np.testing.assert_allclose(array.conductance(), g0, atol=1e-9)
    array.advance(10.0)
    drift = array.conductance() - g0
    decades = np.log10(1 + 10.0 / m.relax_t0)
    assert np.std(drift) == pytest.approx(m.relax_sigma_per_decade * decades, rel=0.1)
    assert np.mean(drift) == pytest.approx(m.relax_mu_per_decade * decades, abs=0.1e-6)


def test_device_past_its_endurance_budget_stops_switching(make_array) -> None:
    budget = 6  # switching pulses: three SET/RESET cycles
    worn = make_array(endurance_median=budget / 2, endurance_sigma_ln=0.0)
    fresh = make_array(endurance_median=1e9, endurance_sigma_ln=0.0)
    history = {id(worn): [], id(fresh): []}
    for cycle in range(8):
        for array in (worn, fresh):
            array.set_pulse(None, SET_V_BL, 1.6, WIDTH)
            history[id(array)].append(array.conductance())
            array.reset_pulse(None, 2.5, RESET_V_GATE, WIDTH)
            history[id(array)].append(array.conductance())
        if cycle == 1:  # within budget both switch alike
            np.testing.assert_array_equal(history[id(worn)][-1], history[id(fresh)][-1])
    late_worn = np.array(history[id(worn)][budget + 1:])
    late_fresh = np.array(history[id(fresh)][budget + 1:])
    # Past the budget every cell is frozen (no SET/RESET swing at all) and marked stuck.
    assert np.ptp(late_worn, axis=0).max() == 0.0
    assert np.all(worn.stuck != 0)
    # The same cells with a large budget still swing by more than a factor 2.
    assert np.median(late_fresh.max(axis=0) / late_fresh.min(axis=0)) > 2.0
    assert np.all(fresh.stuck == 0)


def test_stuck_cells_ignore_pulses(make_array) -> None:
    array = make_array(stuck_lrs_fraction=0.1, stuck_hrs_fraction=0.1)
    stuck = array.stuck != 0
    assert 0.17 < stuck.mean() < 0.23
    g0 = array.conductance()
    np.testing.assert_array_equal(g0[array.stuck == 1], array.model.g_stuck_lrs)
    np.testing.assert_array_equal(g0[array.stuck == 2], array.model.g_stuck_hrs)
    array.set_pulse(None, SET_V_BL, 2.0, WIDTH)
    g_set = array.conductance()
    array.reset_pulse(None, 2.5, RESET_V_GATE, WIDTH)
    array.advance(1e3)
    g_end = array.conductance()
    np.testing.assert_array_equal(g_set[stuck], g0[stuck])
    np.testing.assert_array_equal(g_end[stuck], g0[stuck])
    assert np.all(g_set[~stuck] > g0[~stuck])
    assert np.all(array.writes[stuck] == 0)


def test_noiseless_mvm_equals_transposed_conductance_times_voltages(make_array) -> None:
    array = make_array(tiles=2)
    array.set_pulse(array.cells_of([1]), SET_V_BL, 1.4, WIDTH)
    rng = np.random.default_rng(7)
    v = rng.uniform(-0.2, 0.2, (5, array.model.rows))
    for tile in (0, 1):
        g = array.conductance_map(tile)
        out = array.mvm(v, tile=tile, noise=False)
        np.testing.assert_array_equal(out, v @ g)
        # Independent reference: explicit sums I_j = sum_i G_ij V_i.
        reference = np.array([[sum(g[i, j] * vb[i] for i in range(g.shape[0]))
                               for j in range(g.shape[1])] for vb in v[:2]])
        np.testing.assert_allclose(out[:2], reference, rtol=1e-12)
        np.testing.assert_array_equal(array.mvm(v[0], tile=tile, noise=False), v[0] @ g)
    assert not np.allclose(array.conductance_map(0), array.conductance_map(1))


def test_simulated_clock_follows_pulses_reads_and_waits(make_array) -> None:
    array = make_array()
    array.set_pulse(None, SET_V_BL, 1.2, 200e-9)
    array.reset_pulse([0, 1], 2.0, RESET_V_GATE, 500e-9)
    array.read_current(None, 0.1)
    array.mvm(np.full(array.model.rows, 0.1))
    array.advance(2.0)
    m = array.model
    assert array.clock == pytest.approx(700e-9 + 2 * m.read_time + 2.0, rel=1e-12)


def _run_procedure(array: RRAMArray) -> list[np.ndarray]:
    cells = np.arange(0, array.n_cells, 3)
    out = [array.form(None, 3.2, 1.0, WIDTH).astype(float)]
    array.set_pulse(cells, SET_V_BL, np.linspace(0.9, 1.8, cells.size), WIDTH)
    array.reset_pulse(cells[::2], 1.8, RESET_V_GATE, WIDTH)
    array.advance(10.0)
    out.append(array.read_conductance(None, 0.1))
    out.append(array.mvm(np.full((4, array.model.rows), 0.1)))
    out.append(array.conductance())
    return out


def test_same_seed_gives_identical_results_and_another_seed_differs(make_array) -> None:
    overrides = {"formed_at_start": False, "stuck_lrs_fraction": 0.01,
                 "stuck_hrs_fraction": 0.01}
    first = _run_procedure(make_array(seed=5, **overrides))
    again = _run_procedure(make_array(seed=5, **overrides))
    other = _run_procedure(make_array(seed=6, **overrides))
    for a, b, c in zip(first, again, other, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_few_cell_and_whole_array_views_of_relaxation_agree(make_array) -> None:
    array = make_array()
    cells = np.array([3, 700, 4000])
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    for wait in (0.5, 30.0, 3e3):
        array.advance(wait)
        few = array.conductance(cells)  # evaluated on its own while the cache is stale
        np.testing.assert_array_equal(few, array.conductance()[cells])
        array.set_pulse(cells[:1], SET_V_BL, 1.6, WIDTH)  # reprogram one cell in between
        np.testing.assert_array_equal(array.conductance(cells), array.conductance()[cells])
