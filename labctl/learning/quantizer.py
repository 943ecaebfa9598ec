"""The N-level weight grid and the quantized activations, with straight-through gradients.

Levels q_0 < ... < q_(N-1) are uniform and symmetric in [-1, 1] with spacing D = 2/(N-1);
a hidden weight maps to its nearest level (thresholds halfway between levels). A weight on a
threshold takes the level above, as sign() of the binary reference takes +1 for a weight of
+0 or any positive value: the weight is compared with the thresholds themselves, so no
rounding of (W + 1) / D moves a weight of 1e-8 below the threshold at 0.
"""

from __future__ import annotations

import torch


class LevelGrid:
    """N uniform levels in [-1, 1]: index and value of the level nearest to a hidden weight."""

    def __init__(self, n_levels: int) -> None:
        if n_levels < 2:
            raise ValueError(f"a level grid needs at least 2 levels, got {n_levels}")
        self.n_levels = n_levels
        self.spacing = 2.0 / (n_levels - 1)
        self.values = torch.linspace(-1.0, 1.0, n_levels)
        steps = torch.arange(n_levels - 1, dtype=torch.float64)
        self.thresholds = ((steps + 0.5) * self.spacing - 1.0).to(torch.float32)
        """Level-change thresholds, halfway between neighbouring levels (0 where N is even)."""

    def index(self, hidden: torch.Tensor) -> torch.Tensor:
        """Index (int64) of the level nearest to each hidden weight; a weight on a threshold
        takes the level above."""
        return torch.bucketize(hidden.detach(), self.thresholds.to(hidden.dtype), right=True)

    def value(self, levels: torch.Tensor) -> torch.Tensor:
        """Weight value of each level index."""
        return self.values[levels]

    def quantize(self, hidden: torch.Tensor) -> torch.Tensor:
        """The nearest level's value of each hidden weight."""
        return self.value(self.index(hidden))


def straight_through(hidden: torch.Tensor, effective: torch.Tensor) -> torch.Tensor:
    """``effective`` in the forward pass; the gradient passes unchanged to ``hidden``."""
    return hidden + (effective - hidden).detach()


class _QuantizedActivation(torch.autograd.Function):
    """k-bit activation on [-1, 1] (k = 1 is sign); gradient passed where |x| <= 1."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, bits: int
    ) -> torch.Tensor:
        ctx.save_for_backward(x)
        if bits == 1:
            return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)
        steps = 2**bits - 1
        return torch.round((x.clamp(-1.0, 1.0) + 1.0) * (steps / 2.0)) * (2.0 / steps) - 1.0

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * (x.abs() <= 1.0).to(grad.dtype), None


def quantized_activation(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Sign (``bits == 1``) or uniform k-bit activation with a straight-through gradient."""
    return _QuantizedActivation.apply(x, bits)
