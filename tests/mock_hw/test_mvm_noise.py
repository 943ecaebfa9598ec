"""The noisy crossbar product: output noise with variance sum_i V_i^2 sigma_ij^2."""

from __future__ import annotations

import numpy as np
import pytest

from mock_hw.mvm_kernels import add_output_noise, stage_inputs
from mock_hw.normal_table import TableNormalSampler, quantile_table


def _z_scores(array, v: np.ndarray, calls: int) -> np.ndarray:
    g = array.conductance_map()
    sd = np.sqrt((v * v) @ array.read_sigma(g) ** 2)
    exact = v @ g
    return np.stack([(array.mvm(v) - exact) / sd for _ in range(calls)])


@pytest.mark.parametrize("read_rel_sigma", [0.02, 1e-4])  # float32 and float64 paths
def test_mvm_output_noise_has_the_summed_cell_variance(make_array, read_rel_sigma) -> None:
    array = make_array(read_rel_sigma=read_rel_sigma, read_abs_sigma=0.5e-6)
    cells = np.arange(0, array.n_cells, 2)
    array.set_pulse(cells, 2.0, np.linspace(0.8, 2.0, cells.size), 1e-6)
    rng = np.random.default_rng(3)
    v = rng.uniform(-0.2, 0.2, (200, array.model.rows)) * (rng.random(array.model.rows) < 0.8)
    v[0] = 0.0  # no input, no current and no noise
    np.testing.assert_array_equal(array.mvm(v)[0], 0.0)
    z = _z_scores(array, v[1:], calls=2)
    # 25,000 z-scores: mean 0 within 0.03, variance 1 within 3 %, normal kurtosis 3 +- 0.15.
    assert abs(z.mean()) < 0.03
    assert z.var() == pytest.approx(1.0, rel=0.03)
    assert np.mean(z**4) / z.var() ** 2 == pytest.approx(3.0, abs=0.15)
    # Independent across columns and across products.
    flat = z.reshape(-1, z.shape[-1])
    assert abs(np.corrcoef(flat[:, 0], flat[:, 1])[0, 1]) < 0.05
    assert abs(np.corrcoef(z[0].ravel(), z[1].ravel())[0, 1]) < 0.05


def test_mvm_noise_scales_with_the_configured_read_noise(make_array) -> None:
    v = np.full((500, 64), 0.1)
    spreads = []
    for r in (0.01, 0.03):
        array = make_array(read_rel_sigma=r, read_abs_sigma=0.0)
        array.set_pulse(None, 2.0, 1.2, 1e-6)
        exact = array.mvm(v, noise=False)
        spreads.append(np.std(array.mvm(v) / exact - 1.0))
    # Same conductances, noise scales linearly with r: ratio 3 within 5 %.
    assert spreads[1] / spreads[0] == pytest.approx(3.0, rel=0.05)


def test_mvm_sees_state_changes_between_calls(make_array) -> None:
    array = make_array(read_rel_sigma=0.01)
    v = np.full(64, 0.1)
    before = array.mvm(v, noise=False)
    array.mvm(v)  # fills the product caches
    array.set_pulse(None, 2.0, 1.6, 1e-6)
    after_set = array.mvm(v)
    assert np.all(after_set > 5 * before)
    np.testing.assert_allclose(after_set, array.mvm(v, noise=False), rtol=0.01)
    array.advance(1e5)  # relaxation moves G by several uS per cell
    relaxed = array.mvm(v)  # first call after the wait: must not reuse the cached maps
    exact = array.mvm(v, noise=False)
    assert np.max(np.abs(exact / after_set - 1.0)) > 0.01
    np.testing.assert_allclose(relaxed, exact, rtol=0.01)


def test_quantile_table_is_a_unit_normal() -> None:
    table = quantile_table(np.float64)
    assert table.size == 1 << 16
    assert np.mean(table) == pytest.approx(0.0, abs=1e-12)
    assert np.mean(table**2) == pytest.approx(1.0, rel=1e-12)
    assert np.all(np.diff(table) > 0)
    # CDF matches the normal one: the median, 84.13 % and 97.72 % points.
    assert table[1 << 15] == pytest.approx(0.0, abs=1e-3)
    assert table[int(0.841345 * (1 << 16))] == pytest.approx(1.0, abs=2e-3)
    assert table[int(0.977250 * (1 << 16))] == pytest.approx(2.0, abs=5e-3)


def test_table_sampler_is_seeded_and_fills_any_shape() -> None:
    def draw(seed: int) -> np.ndarray:
        return TableNormalSampler(seed).fill(np.empty((3, 5), np.float32))

    np.testing.assert_array_equal(draw(9), draw(9))
    assert not np.array_equal(draw(9), draw(10))
    sampler = TableNormalSampler(1, np.float64)
    big = sampler.fill(np.empty(200_001))
    assert big.std() == pytest.approx(1.0, rel=0.01)
    assert not np.array_equal(big[:1000], sampler.fill(np.empty(1000)))


def test_table_sampler_draws_numpys_sfc64_words() -> None:
    """Draw k looks up 16-bit word k % 4 of SFC64 raw output k // 4, as numpy seeds it."""
    seed = np.random.SeedSequence(2024)
    sampler = TableNormalSampler(seed)
    draws = np.concatenate([sampler.fill(np.empty(n, np.float32)) for n in (8, 7, 4)])
    raw = np.random.SFC64(seed).random_raw(5).astype("<u8").view("<u2")
    words = np.concatenate([raw[:8], raw[8:15], raw[16:20]])  # 7 draws leave a word unused
    np.testing.assert_array_equal(draws, quantile_table()[words])


def test_table_sampler_refuses_an_output_it_cannot_fill_in_place() -> None:
    sampler = TableNormalSampler(0)
    with pytest.raises(ValueError, match="C-contiguous float32"):
        sampler.fill(np.empty((4, 4), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="float32"):
        sampler.fill(np.empty(4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_staged_inputs_are_v_and_its_square_with_a_limit_check(dtype) -> None:
    v = np.random.default_rng(0).uniform(-1.0, 1.0, (7, 5))
    staged = np.empty((2, 7, 5), dtype)
    assert stage_inputs(v, staged[0], staged[1], 1.0)
    np.testing.assert_array_equal(staged[0], v.astype(dtype))
    np.testing.assert_array_equal(staged[1], v.astype(dtype) ** 2)
    transposed = np.empty((2, 5, 7), dtype)
    assert stage_inputs(v.T, transposed[0], transposed[1], 1.0)  # a strided input
    np.testing.assert_array_equal(transposed[0], v.T.astype(dtype))
    for bad in (1.5, -1.0, np.nan, np.inf):  # at or over the limit, or not a number
        w = v.copy()
        w[3, 2] = bad
        assert not stage_inputs(w, staged[0], staged[1], 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_noise_is_the_numpy_expression_exactly(dtype) -> None:
    rng = np.random.default_rng(1)
    mean, variance, z = (rng.random(1000).astype(dtype) for _ in range(3))
    out = np.empty(1000, dtype)
    add_output_noise(mean, variance, z, out)
    np.testing.assert_array_equal(out, mean + np.sqrt(variance) * z)


def test_mvm_of_a_non_contiguous_input_matches_the_contiguous_one(make_array) -> None:
    v = np.random.default_rng(4).uniform(0.0, 0.2, (64, 10))
    a, b = make_array(seed=3), make_array(seed=3)
    np.testing.assert_array_equal(a.mvm(v.T), b.mvm(np.ascontiguousarray(v.T)))


def test_mvm_noise_draws_follow_the_seed(make_array) -> None:
    v = np.full((4, 64), 0.1)
    z = [_z_scores(make_array(seed=s), v, calls=2) for s in (5, 5, 6)]
    np.testing.assert_array_equal(z[0], z[1])
    # z-scores are the unit normals drawn (up to float32 rounding, < 1e-3 here).
    assert np.median(np.abs(z[0] - z[2])) > 0.1
    assert np.median(np.abs(z[0][0] - z[0][1])) > 0.1  # fresh draws on every call
