"""Edge cases of the simulated array's physics (DEVICE_MODEL.md), with fixed seeds.

Wear-out, forming, RESET timing and relaxation in units of t0 other than 1 s, voltage
ratings other than the default, multi-tile addressing and checkpoints of the generator.
Where the model is deterministic (spreads set to zero) the assertions are exact equalities.
"""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw import ModelParameterError, RRAMArray
from mock_hw.array import STUCK_HRS, STUCK_LRS, STUCK_NONE

WIDTH = 1e-6
"""Reference pulse width: no voltage-time shift of the thresholds."""
SET_V_BL = 2.0
RESET_V_SL = 2.5
RESET_V_GATE = 3.0
NO_RELAXATION = {"relax_sigma_per_decade": 0.0, "relax_mu_per_decade": 0.0}
DETERMINISTIC_SET = {"v0_d2d_sigma_ln": 0.0, "c2c_rel_sigma_low": 0.0,
                     "c2c_rel_sigma_high": 0.0, "g_hrs_sigma_ln": 0.0}
"""No device-to-device or cycle-to-cycle spread: a SET lands exactly on I_CC / V0."""


def _g_cc(array: RRAMArray, v_gate: float) -> float:
    """The compliance-limited LRS conductance I_CC(V_G) / V0 of the universal SET law."""
    return float(array.compliance_current(v_gate)) / array.model.v0


def _lrs_hrs_threshold(array: RRAMArray, cells: np.ndarray) -> np.ndarray:
    """Geometric mean of each cell's HRS floor and the stuck-LRS conductance."""
    return np.sqrt(array.g_hrs[cells] * array.model.g_stuck_lrs)


# ----------------------------------------------------------------- crossbar precision
def test_noise_free_crossbar_product_is_exact_in_float64(make_array) -> None:
    """With no read noise the noisy MVM path is the float64 product G^T V (no float32
    rounding, which would be ~1e-7 relative)."""
    array = make_array(rows=32, cols=16, read_rel_sigma=0.0, read_abs_sigma=0.0)
    array.set_pulse(None, SET_V_BL, np.linspace(0.8, 2.0, array.n_cells), WIDTH)
    v = np.random.default_rng(5).uniform(-0.3, 0.3, (4, array.model.rows))
    exact = v @ array.conductance_map()
    out = array.mvm(v)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, exact, rtol=1e-12)


# ----------------------------------------------------------------- wear-out
def test_worn_out_cells_freeze_at_their_last_conductance(make_array) -> None:
    """A cell past its endurance sticks at the conductance it had when the wearing pulse
    came: stuck-LRS above the geometric-mean threshold, stuck-HRS at its floor; it reads
    that value at once, no longer relaxes and ignores further pulses."""
    array = make_array(rows=4, cols=4, endurance_median=1.0, endurance_sigma_ln=0.0)  # 2 pulses
    lrs, hrs = np.arange(8), np.arange(8, 16)
    array.set_pulse(lrs, SET_V_BL, 1.6, WIDTH)  # LRS cells: write 1
    array.reset_pulse(None, 1.0, RESET_V_GATE, WIDTH)  # shallow; LRS: write 2, HRS: write 1
    g_before = array.conductance()  # also warms the whole-array conductance cache
    assert np.all(g_before[lrs] > 2 * _lrs_hrs_threshold(array, lrs))
    np.testing.assert_array_equal(g_before[hrs], array.g_hrs[hrs])  # at the HRS floor

    array.reset_pulse(None, RESET_V_SL, RESET_V_GATE, WIDTH)  # LRS: write 3 > 2, worn out
    np.testing.assert_array_equal(array.conductance(), g_before)  # RESET did not act
    np.testing.assert_array_equal(array.stuck[lrs], STUCK_LRS)
    np.testing.assert_array_equal(array.stuck[hrs], STUCK_NONE)  # two writes: within budget

    array.reset_pulse(hrs, RESET_V_SL, RESET_V_GATE, WIDTH)  # HRS: write 3, worn out
    np.testing.assert_array_equal(array.stuck[hrs], STUCK_HRS)
    np.testing.assert_array_equal(array.conductance(), g_before)

    writes = array.writes.copy()
    array.advance(1e4)  # four decades: a live LRS cell would move by several uS
    np.testing.assert_array_equal(array.conductance(), g_before)
    array.set_pulse(None, SET_V_BL, 2.0, WIDTH)
    array.reset_pulse(None, RESET_V_SL, RESET_V_GATE, WIDTH)
    array.advance(1e3)
    g_end = array.conductance()
    assert np.all(np.isfinite(g_end))
    np.testing.assert_array_equal(g_end, g_before)
    np.testing.assert_array_equal(array.writes, writes)


def test_wear_out_exactly_at_the_lrs_hrs_threshold_counts_as_hrs(make_array) -> None:
    """The stuck-LRS call needs a conductance strictly above the geometric mean of floor and
    stuck-LRS level: a cell worn out at its floor, with the stuck-LRS level set equal to
    that floor, sticks in HRS."""
    array = make_array(rows=2, cols=2, g_hrs_sigma_ln=0.0, g_stuck_lrs=2e-6,
                       g_hrs_median=2e-6, endurance_median=0.5, endurance_sigma_ln=0.0)  # 1 pulse
    cells = np.arange(array.n_cells)
    np.testing.assert_array_equal(array.conductance(), _lrs_hrs_threshold(array, cells))
    for _ in range(2):  # RESET pulses on cells at their floor still count as writes
        array.reset_pulse(None, RESET_V_SL, RESET_V_GATE, WIDTH)
    np.testing.assert_array_equal(array.stuck, STUCK_HRS)
    np.testing.assert_array_equal(array.conductance(), array.g_hrs)


@pytest.mark.parametrize("with_pristine_cells", [False, True])
def test_a_set_pulse_past_endurance_freezes_the_cell_where_it_was(make_array,
                                                                  with_pristine_cells) -> None:
    """The SET pulse that exhausts a cell's budget does not program it: the cell sticks at
    its pre-pulse conductance, whether or not the pulse also reaches pristine cells."""
    array = make_array(rows=2, cols=4, formed_at_start=False, endurance_median=0.5,
                       endurance_sigma_ln=0.0)  # half a SET/RESET cycle: one pulse
    formed = np.arange(4)
    assert array.form(formed, 4.0, 1.0, WIDTH).all()  # write 1: the whole budget
    g_before = array.conductance(formed)
    cells = np.r_[formed, [4, 5]] if with_pristine_cells else formed
    array.set_pulse(cells, SET_V_BL, 1.6, WIDTH)  # would raise G about 3.5x
    np.testing.assert_array_equal(array.conductance(formed), g_before)
    np.testing.assert_array_equal(array.stuck[formed], STUCK_LRS)
    np.testing.assert_array_equal(array.writes[formed], 2)


# ----------------------------------------------------------------- forming and SET
def test_forming_lands_at_the_compliance_limit_and_counts_as_a_write(make_array) -> None:
    """A pristine cell that forms jumps to I_CC / V0 even when the same pulse only half
    completes a SET of formed cells (pulse at the SET threshold); forming and SET pulses on
    live cells each count one write."""
    array = make_array(rows=2, cols=4, formed_at_start=False, v_form_median=SET_V_BL,
                       v_form_sigma=0.0, v_set=SET_V_BL, **DETERMINISTIC_SET,
                       **NO_RELAXATION)
    first, later = np.arange(4), np.arange(4, 8)
    assert array.form(first, SET_V_BL, 1.0, WIDTH).all()
    np.testing.assert_array_equal(array.conductance(first), _g_cc(array, 1.0))
    np.testing.assert_array_equal(array.conductance(later), array.model.g_unformed)
    np.testing.assert_array_equal(array.writes, [1, 1, 1, 1, 0, 0, 0, 0])

    # One pulse on both groups: the pristine ones form, the formed ones go halfway.
    g_first = array.conductance(first)
    array.set_pulse(None, SET_V_BL, 1.6, WIDTH)
    assert array.formed.all()
    np.testing.assert_allclose(array.conductance(later), _g_cc(array, 1.6), rtol=1e-12)
    np.testing.assert_allclose(array.conductance(first),
                               g_first + 0.5 * (_g_cc(array, 1.6) - g_first), rtol=1e-12)
    np.testing.assert_array_equal(array.writes, [2, 2, 2, 2, 1, 1, 1, 1])

    # A SET on formed cells only still counts one write per live cell.
    array.set_pulse(first, SET_V_BL, 2.0, WIDTH)
    np.testing.assert_array_equal(array.writes, [3, 3, 3, 3, 1, 1, 1, 1])


@pytest.mark.parametrize(("v_gate", "spread"), [(1.0, None), (3.5, 0.05)])
def test_set_spread_narrows_with_compliance_and_holds_beyond_the_calibrated_range(
        make_array, v_gate: float, spread: float | None) -> None:
    """Cycle-to-cycle SET spread falls from 20 % at 10 uA to 5 % at 200 uA [Dalgaty21] and
    stays at 5 % above it (a gate of 3.5 V drives ~470 uA), never extrapolated."""
    array = make_array(v0_d2d_sigma_ln=0.0, g_hrs_sigma_ln=0.0, **NO_RELAXATION)
    array.reset_pulse(None, 3.0, RESET_V_GATE, 10e-6)
    array.reset_pulse(None, 3.0, RESET_V_GATE, 10e-6)
    array.set_pulse(None, SET_V_BL, v_gate, WIDTH)
    g = array.conductance()
    relative = g.std() / g.mean()
    if spread is None:  # inside the range: between the two calibrated spreads
        assert array.model.c2c_rel_sigma_high < relative < array.model.c2c_rel_sigma_low
    else:
        assert relative == pytest.approx(spread, rel=0.1)


# ----------------------------------------------------------------- RESET
def test_longer_reset_pulses_reset_deeper(make_array) -> None:
    """Voltage-time dilemma: at the same source-line voltage a longer RESET pulse removes
    at least as much of each cell's excess conductance, and clearly more on the median."""
    remaining = {}
    for width in (1e-8, 1e-6, 1e-4):
        array = make_array(rows=16, cols=16, **NO_RELAXATION)
        array.set_pulse(None, SET_V_BL, 1.6, WIDTH)
        g_set = array.conductance()
        array.reset_pulse(None, 1.5, RESET_V_GATE, width)
        remaining[width] = (array.conductance() - array.g_hrs) / (g_set - array.g_hrs)
    short, nominal, long = remaining[1e-8], remaining[1e-6], remaining[1e-4]
    # Same seed, same random depths: cell by cell no shallower for a longer pulse.
    assert np.all(long <= nominal) and np.all(nominal <= short)
    # Threshold shifts by 0.05 V per decade: depth 0.6 sigmoid(+-0.4) = 0.36 / 0.24 for
    # 100x longer / shorter pulses, 0.30 at 1 us; median remaining 0.64 / 0.70 / 0.76.
    assert np.median(long) == pytest.approx(0.64, abs=0.04)
    assert np.median(short) == pytest.approx(0.76, abs=0.04)
    assert np.median(short) - np.median(long) > 0.08


def test_a_reset_that_cannot_switch_leaves_relaxation_on_schedule(make_array) -> None:
    """A RESET with the gate below threshold removes nothing, so the cell keeps relaxing
    from its last SET: its conductance follows the same curve as a cell left alone."""
    pulsed, untouched = make_array(rows=8, cols=8), make_array(rows=8, cols=8)
    for array in (pulsed, untouched):
        array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
        array.advance(100.0)
    pulsed.reset_pulse(None, RESET_V_SL, 0.5, WIDTH)  # V_G < V_th: no current
    untouched.advance(WIDTH)
    np.testing.assert_allclose(pulsed.conductance(), untouched.conductance(), rtol=1e-9)
    for array in (pulsed, untouched):
        array.advance(1e3)
    g = pulsed.conductance()
    np.testing.assert_array_equal(g, untouched.conductance())
    # The curve is the one started at the SET: about 3 uS spread after three decades.
    assert np.std(g - pulsed.g_prog) > 1e-6


# ----------------------------------------------------------------- relaxation and t0
def _drift_per_decade(array: RRAMArray) -> np.ndarray:
    """(G(t) - G_prog) / log10(1 + (t - t_prog) / t0): each cell's relaxation coefficient."""
    decades = np.log10(1.0 + (array.clock - array.t_prog) / array.model.relax_t0)
    return (array.conductance() - array.g_prog) / decades


def test_relaxation_follows_log_time_in_units_of_t0(make_array) -> None:
    """G(t) = G_prog + (mu + a z) log10(1 + t / t0) with t0 = 10 s: every cell's drift
    scales with log10(1 + t / t0), and its spread is a per decade of that."""
    array = make_array(relax_t0=10.0)
    m = array.model
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    array.advance(10.0)  # one t0: log10(2) = 0.30 decades
    coef = _drift_per_decade(array)
    assert np.std(coef) == pytest.approx(m.relax_sigma_per_decade, rel=0.05)
    assert np.mean(coef) == pytest.approx(m.relax_mu_per_decade,
                                          abs=0.05 * m.relax_sigma_per_decade)
    array.advance(990.0)  # 100 t0: log10(101) = 2.0 decades
    np.testing.assert_allclose(_drift_per_decade(array), coef, rtol=1e-6)


def test_reads_see_relaxation_once_the_clock_moves_past_the_refresh(make_array) -> None:
    """With a short t0 (10 ms) a wait of 0.1 t0 is 0.04 decades of relaxation, far beyond
    the cache refresh (1e-3 t0): the next read already shows that drift."""
    array = make_array(rows=16, cols=16, relax_t0=0.01)
    array.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    np.testing.assert_array_equal(array.conductance(), array.g_prog)  # 1e-4 t0: not yet
    array.advance(1e-3)
    early = _drift_per_decade(array)
    assert np.std(early) > 0.5 * array.model.relax_sigma_per_decade
    array.advance(1.0)
    np.testing.assert_allclose(_drift_per_decade(array), early, rtol=1e-6)


# ----------------------------------------------------------------- ratings and addressing
def test_mvm_refuses_row_voltages_beyond_a_low_absolute_maximum(make_array) -> None:
    """A chip rated to 1 V refuses crossbar inputs just above 1 V, with or without output
    noise, and accepts inputs just below."""
    array = make_array(rows=4, cols=4, v_abs_max=1.0)
    for noise in (True, False):
        for bad in (1.05, -1.05):
            with pytest.raises(ModelParameterError) as info:
                array.mvm(np.array([0.1, bad, 0.0, 0.2]), noise=noise)
            assert info.value.name == "v_rows" and info.value.value == bad
        out = array.mvm(np.array([0.95, -0.95, 0.0, 0.5]), noise=noise)
        assert out.shape == (4,) and np.all(np.isfinite(out))


def test_cells_of_addresses_exactly_the_requested_tiles(make_array) -> None:
    """cells_of(tiles) lists each tile's own cells in the flat layout, so pulsing them
    programs those tiles and leaves the others as they were."""
    array = make_array(rows=4, cols=4, tiles=3)
    rows, cols = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    for tile in range(3):
        np.testing.assert_array_equal(array.cells_of([tile]), array.flat_index(tile, rows, cols))
    np.testing.assert_array_equal(array.cells_of([2, 0]), np.r_[32:48, 0:16])
    before = [array.conductance_map(t) for t in range(3)]
    array.set_pulse(array.cells_of([1]), SET_V_BL, 1.6, WIDTH)
    assert np.all(array.conductance_map(1) > 10 * before[1])
    np.testing.assert_array_equal(array.conductance_map(0), before[0])
    np.testing.assert_array_equal(array.conductance_map(2), before[2])


# ----------------------------------------------------------------- checkpoints
@pytest.mark.parametrize("halves", [1, 2, 3])
def test_checkpoint_restores_a_buffered_32_bit_half_of_the_generator(make_array,
                                                                     halves) -> None:
    """state() keeps the device generator's whole PCG64 state, including the spare upper
    32 bits of its last output: a fresh array continues the same stream exactly."""
    original = make_array(rows=4, cols=4, seed=21)
    original.set_pulse(None, SET_V_BL, 1.2, WIDTH)
    original._rng.integers(0, 2**32, size=halves, dtype=np.uint32)
    state = original.state()
    resumed = make_array(rows=4, cols=4, seed=21)
    resumed.load_state(state)
    assert resumed._rng.bit_generator.state == original._rng.bit_generator.state
    np.testing.assert_array_equal(resumed._rng.integers(0, 2**32, size=3, dtype=np.uint32),
                                  original._rng.integers(0, 2**32, size=3, dtype=np.uint32))
    np.testing.assert_array_equal(resumed.read_conductance(None),
                                  original.read_conductance(None))
