"""Where the quantized weights live: the interface the trainer programs and reads through.

A weight is one synapse, stored as a differential pair of two cells on a chip. The trainer
hands the store the level index of every weight of a layer; the store writes only the weights
whose level differs from what it last programmed, and reports what that cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from labctl.learning.mapping import Block
from labctl.learning.quantizer import LevelGrid


@dataclass(frozen=True)
class WriteStats:
    """What one ``program`` call did."""

    indices: torch.Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.int64))
    """Flat indices (row-major in the layer's weight matrix) of the weights written."""
    pulses: int = 0
    """Programming pulses applied, over both cells of every written pair."""
    failures: int = 0
    """Written weights whose write-verify did not converge (they keep what the cells hold)."""

    @property
    def writes(self) -> int:
        """Number of weights written."""
        return int(self.indices.numel())


class WeightStore(Protocol):
    """The quantized weights of every layer, on whatever holds them."""

    def program(self, layer: str, levels: torch.Tensor) -> WriteStats:
        """Bring ``layer`` to ``levels`` (int64, the layer's weight shape), writing only changes."""
        ...

    def state(self) -> dict[str, np.ndarray]:
        """What a checkpoint keeps of the store (its counters, and on a simulated chip the
        whole simulation, so that a resumed run continues exactly)."""
        ...

    def resume(self, levels: dict[str, torch.Tensor], state: dict[str, np.ndarray], *,
               rewrite: bool = True) -> dict[str, WriteStats]:
        """Hold ``levels`` again after a restart: from ``state`` where it is the whole truth
        (simulation), else by checking what the chip still holds and, with ``rewrite``,
        rewriting what it lost (what that cost, per layer)."""
        ...

    def weights(self, layer: str) -> torch.Tensor:
        """The weight values the forward pass must use, on the level grid's scale [-1, 1]:
        ideal levels for software, what the cells actually hold for a chip."""
        ...

    def bench_seconds(self) -> float:
        """Estimated bench time spent so far (0 for an ideal store)."""
        ...

    def refresh(self) -> None:
        """Re-read what the weights hold now (relaxation, drift) before an evaluation."""
        ...

    def relax_until(self, seconds: float) -> float:
        """Leave the weights unwritten until ``seconds`` after the checkpoint they were
        resumed from (simulated time on a simulated chip, real time on the bench's); the time
        since the checkpoint then."""
        ...

    def rewrite_drifted(self) -> dict[str, WriteStats]:
        """Read the weights back and rewrite those that drifted off their level (per layer,
        what that cost)."""
        ...

    def link_stats(self) -> dict[str, int]:
        """Link retries and instrument errors ridden out so far (zeros without a bench)."""
        ...

    def wear(self) -> dict[str, float] | None:
        """How the devices holding the weights wore, where that is known exactly (a
        simulated chip: switching pulses per device against each one's endurance budget);
        None elsewhere."""
        ...

    def identities(self) -> dict[str, str]:
        """Identity of every instrument involved, for the archive."""
        ...

    def placement(self) -> list[tuple[Block, int]]:
        """Every block of every layer with where it is: 0 the bench's chip, 1 the digital
        twin (none for an ideal store)."""
        ...

    def readback_error(self, layer: str) -> float:
        """Fraction of the layer's cells that read nearer another level than their own, as
        last verified or read back (0 for an ideal store)."""
        ...

    def close(self) -> None:
        """Leave whatever holds the weights safe and release it."""
        ...


class SoftwareStore:
    """The ideal store of the software baseline: weights are exactly their levels."""

    def __init__(self, grid: LevelGrid) -> None:
        self.grid = grid
        self._levels: dict[str, torch.Tensor] = {}
        self._weights: dict[str, torch.Tensor] = {}

    def program(self, layer: str, levels: torch.Tensor) -> WriteStats:
        previous = self._levels.get(layer)
        if previous is None:
            changed = torch.arange(levels.numel())
        else:
            changed = torch.nonzero(previous.reshape(-1) != levels.reshape(-1)).squeeze(1)
        self._levels[layer] = levels.clone()
        self._weights[layer] = self.grid.value(levels)
        return WriteStats(indices=changed)

    def state(self) -> dict[str, np.ndarray]:
        return {}

    def resume(self, levels: dict[str, torch.Tensor], state: dict[str, np.ndarray], *,
               rewrite: bool = True) -> dict[str, WriteStats]:
        return {layer: self.program(layer, values) for layer, values in levels.items()}

    def weights(self, layer: str) -> torch.Tensor:
        return self._weights[layer]

    def bench_seconds(self) -> float:
        return 0.0

    def refresh(self) -> None:
        """Ideal weights do not drift."""

    def relax_until(self, seconds: float) -> float:
        return seconds

    def rewrite_drifted(self) -> dict[str, WriteStats]:
        return {layer: WriteStats() for layer in self._levels}

    def link_stats(self) -> dict[str, int]:
        return {"link_retries": 0, "instrument_errors_tolerated": 0}

    def wear(self) -> dict[str, float] | None:
        return None

    def identities(self) -> dict[str, str]:
        return {}

    def placement(self) -> list[tuple[Block, int]]:
        return []

    def readback_error(self, layer: str) -> float:
        return 0.0

    def close(self) -> None:
        """Nothing to release."""
