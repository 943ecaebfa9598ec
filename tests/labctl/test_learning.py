"""The learning rule, quantizer, weight store, memory accounting and trainer bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from drivers.errors import ConfigError
from labctl.datasets import TaskData
from labctl.learning import (
    LevelGrid,
    MemoryModel,
    MetaplasticAdam,
    MetaVariant,
    SoftwareStore,
    TrainConfig,
    make_weight_store,
    train,
)
from labctl.learning.quantizer import quantized_activation
from labctl.learning.schedule import LrSchedule, lr_factor, task_scheduler


def binary_rule(w, grads, meta, lr=0.005, b1=0.9, b2=0.999, eps=1e-8, wd=1e-7):
    """Laborieux et al.'s rule exactly as LEARNING.md writes it."""
    w = w.clone()
    m = torch.zeros_like(w)
    v = torch.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        a = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        toward_zero = torch.sign(w) * m > 0
        f_meta = 1 - torch.tanh(meta * w.abs()) ** 2
        w = w - a * torch.where(toward_zero, f_meta * m, m) / (torch.sqrt(v) + eps)
    return w


def run_optimizer(w, grads, grid, meta, variant=MetaVariant.INTERVAL):
    p = torch.nn.Parameter(w.clone())
    opt = MetaplasticAdam([p], [], grid, meta=meta, variant=variant)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    return p.detach()


@pytest.mark.parametrize("m_star", [0.0, 1.5, 3.0, 8.0])
@pytest.mark.parametrize("variant", [MetaVariant.INTERVAL, MetaVariant.GLOBAL])
def test_two_levels_reduce_exactly_to_the_binary_rule(m_star: float, variant: MetaVariant):
    gen = torch.Generator().manual_seed(1)
    w = (torch.rand(4000, generator=gen) * 2 - 1) * 0.3
    # Biased gradients so that many weights travel far and come back across zero.
    grads = [torch.randn(4000, generator=gen) + 0.8 * math.sin(k / 5) for k in range(100)]
    grid = LevelGrid(2)
    ours = run_optimizer(w, grads, grid, m_star, variant)
    reference = binary_rule(w, grads, meta=m_star / grid.spacing)
    # Equal up to float32 rounding of the different operation order.
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)
    if m_star == 0:
        return
    # The comparison can fail: the unattenuated rule ends far from it.
    assert (ours - binary_rule(w, grads, meta=0.0)).abs().max() > 1e-3


def test_interval_rule_attenuates_only_steps_toward_the_nearest_threshold():
    grid = LevelGrid(8)  # D = 2/7, thresholds at 0, ±2/7, ±4/7, ±6/7
    d = grid.spacing
    w = torch.tensor([1.0, 1.0, 3 / 7 + 0.05, 3 / 7 + 0.05, 3 / 7 - 0.05])
    # step = -lr*m/..: m > 0 moves down, m < 0 moves up.
    g = torch.tensor([1.0, -1.0, -1.0, 1.0, 1.0])
    moved = run_optimizer(w, [g], grid, meta=3.0) - w
    free = run_optimizer(w, [g], grid, meta=0.0) - w
    factor = (moved / free).tolist()
    outer_depth = (1.0 - 6 / 7) / d
    assert factor[0] == pytest.approx(1 - math.tanh(3 * outer_depth) ** 2, rel=1e-4)
    assert factor[1] == pytest.approx(1.0)  # moving outward in the top interval
    # level 5 (3/7): 0.05 above its centre, nearest threshold is 4/7 above
    assert factor[2] == pytest.approx(1 - math.tanh(3 * (d / 2 - 0.05) / d) ** 2, rel=1e-4)
    assert factor[3] == pytest.approx(1.0)
    # 0.05 below the centre, the nearest threshold is below: a downward step is attenuated
    assert factor[4] == pytest.approx(1 - math.tanh(3 * (d / 2 - 0.05) / d) ** 2, rel=1e-4)


def test_batchnorm_parameters_get_plain_adam_with_the_same_weight_decay():
    grid = LevelGrid(8)
    hidden = torch.nn.Parameter(torch.full((3,), 2.0))
    bn = torch.nn.Parameter(torch.full((3,), 2.0))
    idle = torch.nn.Parameter(torch.full((3,), 2.0))  # no gradient: only the decay moves it
    opt = MetaplasticAdam([hidden], [bn, idle], grid, meta=5.0, weight_decay=1e-7)
    hidden.grad = torch.ones(3)
    bn.grad = torch.ones(3)
    idle.grad = torch.zeros(3)
    opt.step()
    assert torch.allclose(bn, torch.full((3,), 2.0 - 0.005), atol=1e-7)  # no meta term
    g = math.sqrt(1 - 0.999) * 2e-7  # sqrt(v) after one step of the gradient wd * p
    assert torch.allclose(idle, torch.full((3,), 2.0 - 0.005 * g / (g + 1e-8)), atol=1e-7)
    assert float(hidden.detach()[0]) > 2.0 - 1e-4  # consolidated: barely moves toward its threshold


def test_level_grid_is_uniform_symmetric_and_rounds_to_nearest():
    grid = LevelGrid(8)
    assert torch.allclose(grid.values, torch.tensor([-7, -5, -3, -1, 1, 3, 5, 7]) / 7)
    assert grid.spacing == pytest.approx(2 / 7)
    w = torch.tensor([-5.0, -0.01, 0.01, 0.28, 0.30, 9.0])
    assert grid.index(w).tolist() == [0, 3, 4, 4, 5, 7]
    assert grid.quantize(torch.tensor([0.2])).item() == pytest.approx(1 / 7)
    with pytest.raises(ValueError):
        LevelGrid(1)


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_activation_is_quantized_with_a_clipped_straight_through_gradient(bits: int):
    x = torch.linspace(-2, 2, 41, requires_grad=True)
    y = quantized_activation(x, bits)
    assert len(torch.unique(y)) == 2**bits
    y.sum().backward()
    assert torch.equal(x.grad, (x.detach().abs() <= 1).float())


def test_software_store_writes_only_changed_weights():
    grid = LevelGrid(4)
    store = SoftwareStore(grid)
    first = store.program("fc0", torch.tensor([[0, 1], [2, 3]]))
    assert first.writes == 4
    again = store.program("fc0", torch.tensor([[0, 2], [2, 0]]))
    assert again.indices.tolist() == [1, 3]
    assert torch.allclose(store.weights("fc0"), grid.values[torch.tensor([[0, 2], [2, 0]])])


def test_memory_ratio_against_the_bnn_reference():
    reference = 784 * 4096 + 4096 * 4096 + 4096 * 10
    model = MemoryModel()
    assert model.reference_synapses == reference
    footprint = model.footprint(784 * 1024 + 1024 * 10)
    assert footprint["ratio_vs_reference"] == pytest.approx(reference / (794 * 1024))
    counted = MemoryModel(optimizer_bits=64, reference_bits_per_synapse=96)
    assert counted.footprint(100)["total_bits"] == 9600


@pytest.mark.parametrize(
    ("options", "fragment"),
    [({"levels": 1}, "--levels"), ({"hidden": [0]}, "--hidden"),
     ({"tasks": ["mnist", "svhn"]}, "unknown task 'svhn'"), ({"backend": "nope"}, "backend"),
     ({"backend": "mock", "tolerance": 8e-6}, "too close for a \\+-8 uS band"),
     ({"tolerance": 1e-6}, "--tolerance is the verify band .* needs --backend mock or chip")],
)
def test_bad_options_are_one_line_config_errors(options: dict, fragment: str):
    with pytest.raises(ConfigError, match=fragment) as caught:
        make_weight_store(TrainConfig.build(**options))
    assert "\n" not in str(caught.value)


def synthetic_task(name: str, seed: int, n: int = 300) -> TaskData:
    """Ten well-separated random prototypes plus noise: learnable in one epoch."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, (10, 28, 28))
    labels = np.arange(n) % 10
    noise = rng.integers(-40, 41, (n, 28, 28))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
    return TaskData(name, images, labels.astype(np.uint8), images[:100], labels[:100])


def test_trainer_is_deterministic_and_counts_every_write():
    config = TrainConfig.build(tasks=["mnist", "fashion-mnist"], hidden=[32], epochs=2,
                               batch_size=50, threads=1)
    data = [synthetic_task("mnist", 0), synthetic_task("fashion-mnist", 1)]
    first = train(config, data, make_weight_store(config))
    second = train(config, data, make_weight_store(config))
    assert np.array_equal(first.accuracy, second.accuracy)
    assert first.after_task.shape == (2, 2)
    assert first.accuracy[1, 0] > 0.9  # learnt the first task
    assert first.all_write_counts().sum() == first.level_changes.sum() > 0
    assert first.initial_writes == 784 * 32 + 32 * 10


def test_lower_variant_measures_from_the_lower_level():
    grid = LevelGrid(8)
    d = grid.spacing
    w = torch.tensor([1 / 7 + 0.3 * d, 1 / 7 + 0.3 * d, -1.0 - 0.5 * d])
    g = torch.tensor([1.0, -1.0, -1.0])  # down, up, up (toward the grid from below)
    moved = run_optimizer(w, [g], grid, meta=3.0, variant=MetaVariant.LOWER) - w
    free = run_optimizer(w, [g], grid, meta=0.0) - w
    factor = (moved / free).tolist()
    assert factor[0] == pytest.approx(1 - math.tanh(3 * 0.3) ** 2, rel=1e-3)
    assert factor[1] == pytest.approx(1.0)
    assert factor[2] == pytest.approx(1 - math.tanh(3 * 0.5) ** 2, rel=1e-3)


def test_lower_variant_measures_the_top_interval_and_beyond_from_the_level_below_the_top():
    grid = LevelGrid(8)
    d = grid.spacing
    w = torch.tensor([1.0 - 0.5 * d, 1.0 + 0.2 * d])
    g = torch.tensor([1.0, 1.0])  # both step down, toward the level below the top
    moved = run_optimizer(w, [g], grid, meta=3.0, variant=MetaVariant.LOWER) - w
    free = run_optimizer(w, [g], grid, meta=0.0) - w
    factor = (moved / free).tolist()
    assert factor[0] == pytest.approx(1 - math.tanh(3 * 0.5) ** 2, rel=1e-3)
    assert factor[1] == pytest.approx(1 - math.tanh(3 * 1.2) ** 2, rel=1e-3)


def test_a_negative_metaplasticity_strength_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"m\* must be >= 0, got -1"):
        MetaplasticAdam([torch.nn.Parameter(torch.zeros(2))], [], LevelGrid(4), meta=-1.0)


def test_cosine_schedule_anneals_each_task_and_settles_the_levels():
    assert lr_factor(LrSchedule.COSINE, 0, 100) == 1.0
    assert lr_factor(LrSchedule.COSINE, 50, 100) == pytest.approx(0.5)
    assert lr_factor(LrSchedule.COSINE, 100, 100) == pytest.approx(0.0, abs=1e-12)
    assert lr_factor(LrSchedule.CONSTANT, 99, 100) == 1.0
    data = [synthetic_task("mnist", 0), synthetic_task("fashion-mnist", 1)]
    runs = {
        schedule: train(config, data, make_weight_store(config))
        for schedule in ("constant", "cosine")
        for config in [TrainConfig.build(tasks=["mnist", "fashion-mnist"], hidden=[32],
                                         epochs=3, batch_size=50, threads=1,
                                         lr_schedule=schedule, lr_warmup=0.0)]
    }
    # The rate restarts with each task and reaches zero at its end: in the last epoch of each
    # task the cosine run changes far fewer levels than the constant one.
    constant, cosine = runs["constant"].level_changes, runs["cosine"].level_changes
    assert cosine[2] < 0.3 * constant[2] and cosine[5] < 0.3 * constant[5]
    assert cosine[3] > 0.5 * constant[3]  # a fresh full rate at the start of the second task
    assert runs["cosine"].accuracy[2, 0] > 0.9


def test_warm_up_raises_the_hidden_weights_rate_while_batchnorm_starts_at_full_rate():
    assert [lr_factor(LrSchedule.COSINE, k, 100, warmup=0.4) for k in (0, 19, 39)] == [
        pytest.approx(1 / 40), pytest.approx(0.5), pytest.approx(1.0)]
    assert lr_factor(LrSchedule.COSINE, 70, 100, warmup=0.4) == pytest.approx(0.5)
    assert lr_factor(LrSchedule.CONSTANT, 70, 100, warmup=0.4) == 1.0
    hidden, bn = torch.nn.Parameter(torch.zeros(4, 4)), torch.nn.Parameter(torch.zeros(4))
    optimizer = MetaplasticAdam([hidden], [bn], LevelGrid(8), meta=4.5, lr=0.01)
    scheduler = task_scheduler(optimizer, LrSchedule.COSINE, 100, warmup=0.4)
    rates = []
    for _ in range(40):
        rates.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    assert rates[0] == [pytest.approx(0.01 / 40), pytest.approx(0.01)]
    assert rates[-1][0] == pytest.approx(0.01) and rates[-1][1] < 0.01
