"""Weights on the bench's chip and on its digital twin: the layers the chip holds are written
and read on it, the rest on a simulated array with a device model calibrated from the chip,
through the same ChipStore code path (the paper's "combined software framework and
memristor based crossbar array")."""

from __future__ import annotations

import numpy as np
import torch

from labctl.learning.chip_store import ChipStore
from labctl.learning.mapping import Block
from labctl.learning.store import WriteStats

TWIN = "twin/"
"""Prefix of the twin's entries in the store's checkpoint state."""


class HybridStore:
    """A WeightStore over two ChipStores: ``chip`` (the bench's) and ``twin`` (simulated);
    either may hold no layer (None)."""

    def __init__(self, chip: ChipStore | None, twin: ChipStore | None, twin_model: str) -> None:
        self.chip, self.twin, self.twin_model = chip, twin, twin_model
        self._holder = {name: store for store in (chip, twin) if store is not None
                        for name in store.maps}

    def on_chip(self, layer: str) -> bool:
        return self.chip is not None and layer in self.chip.maps

    def program(self, layer: str, levels: torch.Tensor) -> WriteStats:
        return self._holder[layer].program(layer, levels)

    def weights(self, layer: str) -> torch.Tensor:
        return self._holder[layer].weights(layer)

    def state(self) -> dict[str, np.ndarray]:
        out = self.chip.state() if self.chip is not None else {}
        if self.twin is not None:
            out |= {TWIN + k: v for k, v in self.twin.state().items()}
        return out

    def resume(self, levels: dict[str, torch.Tensor], state: dict[str, np.ndarray], *,
               rewrite: bool = True) -> dict[str, WriteStats]:
        done: dict[str, WriteStats] = {}
        for store, mine in ((self.chip, {k: v for k, v in state.items()
                                         if not k.startswith(TWIN)}),
                            (self.twin, {k.removeprefix(TWIN): v for k, v in state.items()
                                         if k.startswith(TWIN)})):
            if store is not None:
                done |= store.resume({n: v for n, v in levels.items() if n in store.maps}, mine,
                                     rewrite=rewrite)
        return done

    def bench_seconds(self) -> float:
        """The bench's time: the twin runs on the host."""
        return self.chip.bench_seconds() if self.chip is not None else 0.0

    def refresh(self) -> None:
        for store in (self.chip, self.twin):
            if store is not None:
                store.refresh()

    def relax_until(self, seconds: float) -> float:
        """The chip relaxes in real time; the twin's clock follows it to the same moment."""
        since = seconds
        for store in (self.chip, self.twin):
            if store is not None:
                since = store.relax_until(since)
        return since

    def rewrite_drifted(self) -> dict[str, WriteStats]:
        done: dict[str, WriteStats] = {}
        for store in (self.chip, self.twin):
            if store is not None:
                done |= store.rewrite_drifted()
        return done

    def link_stats(self) -> dict[str, int]:
        if self.chip is None:
            return {"link_retries": 0, "instrument_errors_tolerated": 0}
        return self.chip.link_stats()

    def wear(self) -> dict[str, float] | None:
        """Of the bench's chip where that is known (a simulated one), else of the twin."""
        for store in (self.chip, self.twin):
            wear = store.wear() if store is not None else None
            if wear is not None:
                return wear
        return None

    def identities(self) -> dict[str, str]:
        out = self.chip.identities() if self.chip is not None else {}
        if self.twin is not None:
            out["twin"] = f"simulated array, device model {self.twin_model}"
        return out

    def placement(self) -> list[tuple[Block, int]]:
        return [(block, int(store is self.twin)) for store in (self.chip, self.twin)
                if store is not None for block, _ in store.placement()]

    def readback_error(self, layer: str) -> float:
        return self._holder[layer].readback_error(layer)

    def close(self) -> None:
        try:
            if self.chip is not None:
                self.chip.close()
        finally:
            if self.twin is not None:
                self.twin.close()
