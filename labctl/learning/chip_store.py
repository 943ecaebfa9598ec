"""Weights on an RRAM chip: each weight a complementary pair of cells, level changes written
by FPGA-offloaded write-verify, the forward pass fed by what the cells hold.

Mapping (``labctl.learning.mapping``): a layer of shape (out, in) is cut into row blocks
packed side by side over the arrays, inputs on word lines and outputs on column pairs (bit
lines 2j, 2j+1 hold G+ and G- of output j). Level k of N is written as G+ = g_k,
G- = g_(N-1-k), so the weight value on the grid's [-1, 1] scale is (G+ - G-) / (g_max - g_min).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from numpy.typing import NDArray

from labctl.bench import Bench
from labctl.learning.mapping import Block, pack
from labctl.learning.store import WriteStats
from protocols.calibration import GateCalibration
from protocols.levels import LevelPlan


class ChipStore:
    """A WeightStore on a bench: writes level changes, serves the conductances it verified.

    ``prepare`` forms the network's cells and calibrates the SET gate on a sample of them
    before anything is written; a store that will only be resumed from a checkpoint and read
    (``labctl evaluate``) skips both, as calibrating would rewrite the sampled weights.
    """

    def __init__(self, bench: Bench, plan: LevelPlan, shapes: dict[str, tuple[int, int]],
                 *, prepare: bool = True) -> None:
        self.bench = bench
        self.plan = plan
        tiles, rows, cols = bench.geometry
        self.maps = pack(shapes, rows, cols, tiles=tiles)
        self.calibration: GateCalibration | None = None
        if prepare:
            used = self._cells()
            bench.form(used)
            self.calibration = bench.calibrate_gate(used)
        self._g = np.full(tiles * rows * cols, np.nan)
        self._levels: dict[str, NDArray[np.int64]] = {}
        self._weights = {name: torch.zeros(m.shape) for name, m in self.maps.items()}
        self._offsets = np.zeros(3)
        """Bench seconds, link retries and instrument errors of the run before a restart."""
        self._checkpoint = (0.0, time.time())
        """Bench clock and wall clock (s since 1970) of the checkpoint resumed from."""

    def _cells(self) -> NDArray[np.int64]:
        return np.concatenate([m.cells for m in self.maps.values()])

    def program(self, layer: str, levels: torch.Tensor) -> WriteStats:
        """Write-verify both cells of every weight whose level changed."""
        new = levels.numpy().reshape(-1).astype(np.int64)
        old = self._levels.get(layer)
        idx = np.arange(new.size) if old is None else np.flatnonzero(new != old)
        self._levels[layer] = new
        if idx.size == 0:
            return WriteStats()
        m = self.maps[layer]
        pos, neg = m.positive.reshape(-1)[idx], m.negative.reshape(-1)[idx]
        k = new[idx]
        cells = np.concatenate([pos, neg])
        lo, hi = self.plan.band(np.concatenate([k, self.plan.n_levels - 1 - k]))
        if self.calibration is None:
            self.calibration = self.bench.calibrate_gate(self._cells())
        res = self.bench.program(cells, lo, hi, mode="fpga",
                                 calibration=self.calibration)
        self._g[res["cell"]] = res["g_final"]
        self._weights[layer].view(-1)[torch.from_numpy(idx)] = self._value(pos, neg)
        failed = ~(res["success"][: idx.size] & res["success"][idx.size:])
        return WriteStats(indices=torch.from_numpy(idx), pulses=int(res["pulses"].sum()),
                          failures=int(failed.sum()))

    def state(self) -> dict[str, np.ndarray]:
        """Verified conductances, levels and counters; on a simulated chip, the simulation."""
        stats = self.link_stats()
        out = {"g": self._g.copy(),
               "counters": np.array([self.bench_seconds(), stats["link_retries"],
                                     stats["instrument_errors_tolerated"]], dtype=np.float64),
               "written_at": np.array([time.time()])}
        if self.calibration is not None:
            out["calibration/gates"] = self.calibration.gates
            out["calibration/g_median"] = self.calibration.g_median
        for name, m in self.maps.items():
            out[f"levels/{name}"] = self._levels.get(
                name, np.full(m.positive.size, -1)).astype(np.int8)
        if self.bench.simulation is not None:
            out |= {f"sim/{k}": v for k, v in self.bench.simulation.state().items()}
        return out

    def resume(self, levels: dict[str, torch.Tensor], state: dict[str, np.ndarray], *,
               rewrite: bool = True) -> dict[str, WriteStats]:
        """Reload a simulated chip exactly; on a real one, read back and (with ``rewrite``)
        rewrite what was lost."""
        sim = {k.removeprefix("sim/"): v for k, v in state.items() if k.startswith("sim/")}
        counters = np.asarray(state.get("counters", np.zeros(3)), dtype=np.float64)
        if self.calibration is None and "calibration/gates" in state:
            self.calibration = GateCalibration(np.asarray(state["calibration/gates"]),
                                               np.asarray(state["calibration/g_median"]))
        written = state.get("written_at")
        if sim and self.bench.simulation is not None:
            self.bench.simulation.load_state(sim)
            self._g = np.array(state["g"], dtype=np.float64)
            for name, m in self.maps.items():
                self._levels[name] = np.array(state[f"levels/{name}"], dtype=np.int64)
                self._weights[name] = self._value(m.positive, m.negative).reshape(m.shape)
            self._offsets = counters - [self.bench.clock(), 0, 0]
            self._checkpoint = (self.bench.clock(), time.time())
            return {}
        self._offsets = counters
        self._checkpoint = (self.bench.clock(),
                            float(written[0]) if written is not None else time.time())
        if not rewrite:
            for name, values in levels.items():
                self._levels[name] = values.numpy().reshape(-1).astype(np.int64)
            self.refresh()
            return {}
        return {name: self._restore(name, values) for name, values in levels.items()}

    def _restore(self, layer: str, levels: torch.Tensor) -> WriteStats:
        """Check by read-back that the chip holds ``levels``; rewrite only the weights it lost."""
        self._read_tiles(self.maps[layer].tiles)
        return self._rewrite_lost(layer, levels.numpy().reshape(-1).astype(np.int64))

    def _rewrite_lost(self, layer: str, k: NDArray[np.int64]) -> WriteStats:
        """Rewrite the weights of ``layer`` a cell of which, as last read, is nearer another
        level than the one of ``k`` it should hold."""
        m = self.maps[layer]
        top = self.plan.n_levels - 1
        held = ((self.plan.nearest(self._g[m.positive.reshape(-1)]) == k)
                & (self.plan.nearest(self._g[m.negative.reshape(-1)]) == top - k))
        self._levels[layer] = np.where(held, k, -1)
        self._weights[layer] = self._value(m.positive, m.negative).reshape(m.shape)
        return self.program(layer, torch.from_numpy(k).reshape(m.shape))

    def since_checkpoint(self) -> float:
        """Seconds since the checkpoint resumed from was taken: on the simulated clock for a
        simulated chip, on the wall clock for a real one (it relaxed while no one ran)."""
        if self.bench.simulation is not None:
            return self.bench.clock() - self._checkpoint[0]
        return time.time() - self._checkpoint[1]

    def relax_until(self, seconds: float) -> float:
        """Leave the weights unwritten until ``seconds`` after the checkpoint; the time since
        it then (more than ``seconds`` if that much had already passed)."""
        wait = seconds - self.since_checkpoint()
        if wait > 0:
            self.bench.wait(wait)
        return self.since_checkpoint()

    def rewrite_drifted(self) -> dict[str, WriteStats]:
        """Read the chip back and rewrite every weight that drifted off its level."""
        self.refresh()
        return {name: self._rewrite_lost(name, self._levels[name].copy()) for name in self.maps}

    def _read_tiles(self, tiles: list[int]) -> None:
        _, rows, cols = self.bench.geometry
        for tile in tiles:
            self._g[tile * rows * cols:(tile + 1) * rows * cols] = (
                self.bench.read_array(tile).reshape(-1))

    def _value(self, pos: NDArray[np.int64], neg: NDArray[np.int64]) -> torch.Tensor:
        w = (self._g[pos] - self._g[neg]) / (self.plan.g_max - self.plan.g_min)
        return torch.from_numpy(w.astype(np.float32))

    def weights(self, layer: str) -> torch.Tensor:
        """Weight values from the conductances last verified or read back."""
        return self._weights[layer]

    def refresh(self) -> None:
        """Read the whole chip back, so relaxation and drift since programming count: every
        array once (layers share arrays), then every layer's weights from that one read."""
        self._read_tiles(sorted({t for m in self.maps.values() for t in m.tiles}))
        self._update_weights()

    def _update_weights(self) -> None:
        for name, m in self.maps.items():
            self._weights[name] = self._value(m.positive, m.negative).reshape(m.shape)

    def bench_seconds(self) -> float:
        return float(self._offsets[0]) + self.bench.clock()

    def link_stats(self) -> dict[str, int]:
        stats = self.bench.link_stats()
        return {"link_retries": int(self._offsets[1]) + stats["link_retries"],
                "instrument_errors_tolerated": int(self._offsets[2])
                + stats["instrument_errors_tolerated"]}

    def wear(self) -> dict[str, float] | None:
        """On a simulated chip: the switching pulses every device of the network took, and
        how many passed their endurance budget (DEVICE_MODEL.md: log-normal, median 1e6
        SET/RESET cycles, two switching pulses each)."""
        sim = self.bench.simulation
        if sim is None:
            return None
        used = np.concatenate([m.cells for m in self.maps.values()])
        pulses, budget = sim.writes[used], sim.pulse_budget[used]
        return {"devices": int(used.size), "switching_pulses_max": int(pulses.max()),
                "switching_pulses_mean": float(pulses.mean()),
                "devices_worn": int(np.count_nonzero(pulses > budget)),
                "budget_used_max": float((pulses / budget).max()),
                "endurance_median": float(sim.model.endurance_median)}

    def identities(self) -> dict[str, str]:
        return self.bench.identities

    def placement(self) -> list[tuple[Block, int]]:
        return [(block, 0) for m in self.maps.values() for block in m.blocks]

    def readback_error(self, layer: str) -> float:
        m, levels = self.maps[layer], self._levels.get(layer)
        if levels is None or not (levels >= 0).any():
            return 0.0
        held = levels >= 0
        g = np.concatenate([self._g[m.positive.reshape(-1)[held]],
                            self._g[m.negative.reshape(-1)[held]]])
        k = np.concatenate([levels[held], self.plan.n_levels - 1 - levels[held]])
        return self.plan.readback_error(g, k)

    def close(self) -> None:
        self.bench.close()
