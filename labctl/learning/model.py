"""The quantized MLP: 784-H-...-10, BatchNorm after every layer, quantized hidden activations.

The layers' hidden weights are torch parameters on the host; the forward pass takes the
effective weights from a WeightStore and passes the gradient straight to the hidden weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn

from labctl.learning.quantizer import quantized_activation, straight_through

BnState = dict[str, torch.Tensor]


def layer_shapes(sizes: Sequence[int]) -> dict[str, tuple[int, int]]:
    """(out, in) weight shape of every layer of a network of ``sizes``, by layer name."""
    return {f"fc{i}": (n_out, n_in) for i, (n_in, n_out) in enumerate(pairwise(sizes))}


class QuantizedMLP(nn.Module):
    """Fully connected layers without bias, each followed by BatchNorm (batch statistics)."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation_bits: int = 1,
        init_scale: float = 0.05,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.activation_bits = activation_bits
        shapes = layer_shapes(sizes)
        self.layer_names = list(shapes)
        self.hidden = nn.ParameterDict({
            name: nn.Parameter((torch.rand(shape, generator=generator) * 2 - 1) * init_scale)
            for name, shape in shapes.items()
        })
        # The reference normalises with batch statistics at test time too: no running stats.
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(n_out, track_running_stats=False) for n_out in sizes[1:]
        )

    @property
    def synapses(self) -> int:
        """Number of quantized weights."""
        return sum(p.numel() for p in self.hidden.values())

    def bn_parameters(self) -> list[nn.Parameter]:
        """The BatchNorm affine parameters (trained with plain Adam)."""
        return [p for norm in self.norms for p in norm.parameters()]

    def bn_state(self) -> BnState:
        """A copy of the BatchNorm affine parameters (saved per task in the "task" scenario)."""
        return {k: v.detach().clone() for k, v in self.norms.state_dict().items()}

    def load_bn_state(self, state: BnState) -> None:
        """Restore BatchNorm affine parameters saved by :meth:`bn_state`."""
        self.norms.load_state_dict(state)

    def forward(self, x: torch.Tensor, effective: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Logits for ``x`` using the store's ``effective`` weights of every layer."""
        last = len(self.layer_names) - 1
        for i, (name, norm) in enumerate(zip(self.layer_names, self.norms, strict=True)):
            weight = straight_through(self.hidden[name], effective[name])
            x = norm(x @ weight.t())
            if i < last:
                x = quantized_activation(x, self.activation_bits)
        return x
