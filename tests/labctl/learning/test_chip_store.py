"""The chip store writes only level changes, serves what the cells hold, and after a restart
rewrites only the weights the chip no longer holds."""

from __future__ import annotations

import numpy as np
import torch

from labctl.backends import open_bench
from labctl.learning.chip_store import ChipStore
from labctl.learning.level_plan import level_plan

SHAPES = {"fc0": (20, 150), "fc1": (10, 20)}  # fc0 spans two row blocks of a 128-row tile


def make_store(seed: int = 0) -> ChipStore:
    return ChipStore(open_bench("mock", None, seed, tiles=3, formed=True), level_plan(8), SHAPES)


def test_only_changed_weights_are_written_and_read_back_close_to_their_levels() -> None:
    store = make_store()
    try:
        gen = torch.Generator().manual_seed(0)
        levels = torch.randint(0, 8, SHAPES["fc0"], generator=gen)
        first = store.program("fc0", levels)
        assert first.writes == levels.numel()
        assert first.failures <= 0.02 * levels.numel()
        changed = levels.clone()
        changed[3, :7] = (changed[3, :7] + 1) % 8
        second = store.program("fc0", changed)
        assert sorted(second.indices.tolist()) == list(range(3 * 150, 3 * 150 + 7))
        ideal = -1 + 2 * changed.float() / 7
        store.refresh()
        error = (store.weights("fc0") - ideal).abs()
        assert float(error.median()) < 0.03
        assert float((error > 1 / 7).float().mean()) < 0.02
    finally:
        store.close()


def test_restore_rewrites_only_what_the_chip_lost() -> None:
    store = make_store(1)
    try:
        levels = torch.full(SHAPES["fc1"], 6, dtype=torch.int64)
        store.program("fc1", levels)
        lost = store.maps["fc1"].positive[2, :5]
        store.bench.program(lost, np.full(5, 9e-6), np.full(5, 11e-6), mode="fpga")
        restored = store.resume({"fc1": levels}, {})["fc1"]
        assert sorted(restored.indices.tolist()) == list(range(2 * 20, 2 * 20 + 5))
    finally:
        store.close()


def _epoch(store: ChipStore, seed: int) -> np.ndarray:
    """Program random levels, let time pass, read everything back."""
    gen = torch.Generator().manual_seed(seed)
    for name, shape in SHAPES.items():
        store.program(name, torch.randint(0, 8, shape, generator=gen))
    store.bench.wait(30.0)
    store.refresh()
    return np.concatenate([store.weights(n).numpy().ravel() for n in SHAPES])


def test_a_simulated_chip_resumes_from_its_state_exactly() -> None:
    original, resumed = make_store(2), make_store(2)
    try:
        _epoch(original, 0)
        state = original.state()
        expected = _epoch(original, 1)
        levels = {n: torch.from_numpy(state[f"levels/{n}"].reshape(s)) for n, s in SHAPES.items()}
        assert resumed.resume(levels, state) == {}
        np.testing.assert_array_equal(_epoch(resumed, 1), expected)
        assert resumed.bench_seconds() == original.bench_seconds()
    finally:
        original.close()
        resumed.close()


def test_the_verify_band_is_the_runs_tolerance() -> None:
    from labctl.learning.backends import make_weight_store
    from labctl.learning.config import TrainConfig

    levels = torch.randint(0, 8, (10, 784), generator=torch.Generator().manual_seed(1))
    spread, pulses = {}, {}
    for tolerance in (0.5e-6, 5e-6):
        config = TrainConfig.build(backend="mock", hidden=[10], tolerance=tolerance, threads=1)
        store = make_weight_store(config)
        try:
            assert store.plan.tolerance == tolerance
            pulses[tolerance] = store.program("fc0", levels).pulses
            store.refresh()
            ideal = -1 + 2 * levels.float() / 7
            error = (store.weights("fc0") - ideal).abs()  # G+ - G- over the 110 uS window
            spread[tolerance] = float(error.median()) * 110e-6
        finally:
            store.close()
    # a tight band costs pulses; a loose one leaves the pairs further from their levels (both
    # add read noise and the relaxation since programming, about 2 uS in all)
    assert pulses[0.5e-6] > 2 * pulses[5e-6]
    assert spread[5e-6] > 1.3 * spread[0.5e-6]
