"""Adam with a metaplastic attenuation of the steps that would change a weight's level.

Hidden (2-D) weights follow LEARNING.md: for each step s of Adam, the factor
f = 1 - tanh^2(m* * depth / D) attenuates s when s moves the weight toward the threshold that
would change its quantized level; Adam's moments are never scaled and the hidden weight is never
clipped. Under the interval rule a weight in an inner interval is drawn to its level's centre
(a step away from it moves toward the nearer threshold and is attenuated, a step back is not),
so its attenuation is at most 1 - tanh^2(m* / 2); only in the two outer intervals, and under
the global rule, do consolidated weights keep growing. BatchNorm parameters get plain Adam with
the same weight decay, as in the binary reference implementation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from labctl.learning.options import MetaVariant
from labctl.learning.quantizer import LevelGrid


def attenuated_toward(
    hidden: torch.Tensor, m: torch.Tensor, grid: LevelGrid, variant: MetaVariant
) -> tuple[torch.Tensor, torch.Tensor]:
    """(depth / D, mask of steps to attenuate) for hidden weights whose step is -lr*m/..."""
    step_up = m < 0
    d = grid.spacing
    if variant is MetaVariant.GLOBAL:
        return hidden.abs() / d, torch.sign(hidden) * m > 0
    level = grid.index(hidden)
    if variant is MetaVariant.INTERVAL:
        centre = grid.value(level)
        d_low = hidden - (centre - d / 2)
        d_up = (centre + d / 2) - hidden
        top = grid.n_levels - 1
        nearest_up = torch.where(level == 0, True, torch.where(level == top, False, d_up < d_low))
        depth = torch.where(nearest_up, d_up, d_low)
        return depth / d, nearest_up == step_up
    lower = torch.floor((hidden + 1.0) / d).clamp_(0, grid.n_levels - 2)
    above = hidden - (lower * d - 1.0)
    below_grid = above < 0
    depth = above.abs()
    return depth / d, torch.where(below_grid, step_up, ~step_up)


class MetaplasticAdam(torch.optim.Optimizer):
    """Adam whose steps toward a level change are scaled by 1 - tanh^2(m* depth / D).

    Parameter groups with ``metaplastic=True`` hold hidden weights; the others (BatchNorm)
    get plain Adam. Both add ``weight_decay`` times the parameter to its gradient (LEARNING.md;
    the reference implementation decays the BatchNorm parameters too).
    """

    def __init__(
        self,
        hidden: Iterable[torch.Tensor],
        plain: Iterable[torch.Tensor],
        grid: LevelGrid,
        meta: float,
        lr: float = 0.005,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-7,
        variant: MetaVariant = MetaVariant.INTERVAL,
    ) -> None:
        if meta < 0:
            raise ValueError(f"the metaplasticity strength m* must be >= 0, got {meta}")
        defaults = {"lr": lr, "betas": betas, "eps": eps}
        groups = [
            {"params": list(hidden), "metaplastic": True, "weight_decay": weight_decay},
            {"params": list(plain), "metaplastic": False, "weight_decay": weight_decay},
        ]
        super().__init__([g for g in groups if g["params"]], defaults)
        self.grid = grid
        self.meta = meta
        self.variant = MetaVariant(variant)

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        """One Adam step; metaplastic groups attenuate steps toward a level change."""
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                grad = p.grad
                if group["weight_decay"]:
                    grad = grad.add(p, alpha=group["weight_decay"])
                m, v = state["m"], state["v"]
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                a = group["lr"] * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                denom = v.sqrt().add_(group["eps"])
                numer = m
                if group["metaplastic"] and self.meta > 0:
                    depth, toward = attenuated_toward(p, m, self.grid, self.variant)
                    f_meta = 1 - torch.tanh(self.meta * depth) ** 2
                    numer = torch.where(toward, f_meta * m, m)
                p.addcdiv_(numer, denom, value=-a)
