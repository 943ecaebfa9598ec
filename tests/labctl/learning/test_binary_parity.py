"""With two levels, sign activations, a constant rate without warm-up and test batches of 100,
a training run is the binary reference's (Laborieux et al. 2021, as LEARNING.md writes it):
the same hidden weights, BatchNorm parameters and accuracies, step for step.

The reference below is written from LEARNING.md alone: sign() weights (+1 at +0, as the
issue fixing the tie asks), BatchNorm with batch statistics in training and test, sign
activations with a gradient passed where |x| <= 1, Adam with weight decay on every parameter
and the metaplastic attenuation 1 - tanh^2(meta |W|) of steps that shrink |W|, meta = m* / D.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from labctl.datasets import TaskData
from labctl.datasets.loader import to_float
from labctl.learning import SoftwareStore, TrainConfig
from labctl.learning.quantizer import LevelGrid
from labctl.learning.trainer import Trainer

M_STAR = 3.0
LR, WD, BATCH = 0.005, 1e-3, 100
"""The reference's rate and batch; a weight decay large enough that leaving it out of any
parameter's update shows (the reference's 1e-7 goes through the same code)."""


def sign_plus(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x >= 0, 1.0, -1.0)


class _SignSte(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return sign_plus(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def reference_forward(x: torch.Tensor, hidden: list[torch.Tensor],
                      bn: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    for i, (w, (gamma, beta)) in enumerate(zip(hidden, bn, strict=True)):
        binary = w + (sign_plus(w) - w).detach()
        x = F.batch_norm(x @ binary.t(), None, None, gamma, beta, training=True)
        if i < len(hidden) - 1:
            x = _SignSte.apply(x)
    return x


class ReferenceAdam:
    """Adam of LEARNING.md's binary rule; 1-D parameters (BatchNorm) without the meta term."""

    def __init__(self, params: list[torch.Tensor], meta: float) -> None:
        self.params, self.meta, self.t = params, meta, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        a = LR * math.sqrt(1 - 0.999**self.t) / (1 - 0.9**self.t)
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            g = p.grad + WD * p
            m.mul_(0.9).add_(g, alpha=0.1)
            v.mul_(0.999).addcmul_(g, g, value=0.001)
            step = m
            if p.dim() == 2:
                toward_zero = torch.sign(p) * m > 0
                step = torch.where(toward_zero, (1 - torch.tanh(self.meta * p.abs()) ** 2) * m, m)
            p.sub_(a * step / (v.sqrt() + 1e-8))


def task(seed: int, n: int = 400, n_test: int = 300) -> TaskData:
    """Ten random prototypes under heavy noise: learnable, not perfectly, in two epochs."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, (10, 28, 28))

    def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(count) % 10
        noise = rng.integers(-160, 161, (count, 28, 28))
        images = np.clip(0.5 * prototypes[labels] + noise, 0, 255).astype(np.uint8)
        return images, labels.astype(np.uint8)

    return TaskData("mnist", *draw(n), *draw(n_test))


@pytest.fixture(scope="module")
def both() -> tuple[Trainer, list[torch.Tensor], list[tuple[torch.Tensor, torch.Tensor]],
                    float]:
    config = TrainConfig.build(tasks=["mnist"], levels=2, activation_bits=1, hidden=[48],
                               epochs=2, meta=M_STAR, lr_schedule="constant", lr_warmup=0.0,
                               eval_batch_size=100, batch_size=BATCH, weight_decay=WD,
                               threads=1, seed=4)
    data = task(0)
    trainer = Trainer(config, [data], SoftwareStore(LevelGrid(2)))
    hidden = [p.detach().clone().requires_grad_() for p in trainer.model.hidden.values()]
    bn = [(n.weight.detach().clone().requires_grad_(), n.bias.detach().clone().requires_grad_())
          for n in trainer.model.norms]
    rng_state = trainer.generator.get_state()
    trainer.run()

    gen = torch.Generator().set_state(rng_state)
    images, labels = to_float(data.train_images), torch.as_tensor(data.train_labels).long()
    opt = ReferenceAdam([*hidden, *(p for pair in bn for p in pair)], meta=M_STAR / 2.0)
    for _ in range(config.epochs):
        for batch in torch.randperm(len(labels), generator=gen).split(BATCH):
            loss = F.cross_entropy(reference_forward(images[batch], hidden, bn), labels[batch])
            for p in opt.params:
                p.grad = None
            loss.backward()
            opt.step()
    with torch.no_grad():
        test = to_float(data.test_images), torch.as_tensor(data.test_labels).long()
        correct = sum(int((reference_forward(x, hidden, bn).argmax(1) == y).sum())
                      for x, y in zip(test[0].split(100), test[1].split(100), strict=True))
    return trainer, hidden, bn, correct / len(test[1])


def test_the_hidden_weights_and_batchnorm_follow_the_reference_step_for_step(both) -> None:
    trainer, hidden, bn, _ = both
    for ours, theirs in zip(trainer.model.hidden.values(), hidden, strict=True):
        torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-5, atol=1e-6)
        assert torch.equal(sign_plus(ours.detach()), sign_plus(theirs.detach()))
    for norm, (gamma, beta) in zip(trainer.model.norms, bn, strict=True):
        torch.testing.assert_close(norm.weight.detach(), gamma.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(norm.bias.detach(), beta.detach(), rtol=1e-5, atol=1e-6)


def test_the_accuracy_is_the_references_in_test_batches_of_100(both) -> None:
    trainer, _, _, reference = both
    assert trainer.result is not None
    assert trainer.result.epochs[-1].accuracy[0] == reference
    assert 0.5 < reference < 1.0  # it learned, and not trivially


def test_a_weight_of_zero_or_a_hair_above_is_plus_one() -> None:
    grid = LevelGrid(2)
    w = torch.tensor([0.0, -0.0, 1e-30, 6e-8, 1e-7, -6e-8, -1e-30])
    assert grid.quantize(w).tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0]
    eight = LevelGrid(8)  # a threshold at 0 too: +-1/7 either side, ties to the level above
    assert eight.quantize(torch.tensor([0.0, 3e-8, -3e-8])).tolist() == pytest.approx(
        [1 / 7, 1 / 7, -1 / 7])
    on_threshold = eight.thresholds
    assert torch.equal(eight.index(on_threshold), torch.arange(1, 8))
