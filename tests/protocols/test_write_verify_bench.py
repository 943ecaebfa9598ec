"""Host-driven write-verify on the simulated bench: the algorithm through real instruments.

``Bench.program(..., mode="host")`` runs ``protocols.write_verify`` through the SMU, pulse
generator and FPGA drivers against their emulators on one seeded simulated array. The tests
log what reaches the instruments (every SMU reading with the cell it read, every pulse fired
with the cell it hit, every wait) and check the algorithm's decisions against that log and
the array's true (noiseless) conductance. Arrays are small (8 x 16) and seeds fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from numpy.typing import NDArray

from drivers.fpga.writeverify import CellResults, Scheme
from labctl.bench import Bench
from mock_hw import SimulatedBench
from mock_hw.array import STUCK_NONE
from protocols.calibration import GateCalibration
from protocols.levels import LevelPlan

MakeChip = Callable[..., tuple[Bench, SimulatedBench]]
"""The ``make_chip`` fixture of conftest.py."""

CELLS = np.arange(32)
"""Two word lines of the 8 x 16 chip."""


@dataclass
class Event:
    """One thing the bench did: a reading (conductance, S), a pulse, or a wait (s)."""

    kind: str
    cell: int = -1
    value: float = 0.0


@dataclass
class InstrumentLog:
    """Every SMU reading, fired pulse and bench wait of one bench, in order."""

    bench: Bench
    sim: SimulatedBench
    events: list[Event] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> InstrumentLog:
        smu, pulse, bench = self.bench.smu, self.bench.pulse, self.bench
        measure, fire, wait = smu.measure_current, pulse.fire, bench.wait

        def measured() -> float:
            amps = measure()
            self.events.append(Event("read", self._cell(), amps / self.bench.params.v_read))
            return amps

        def fired() -> None:
            self.events.append(Event("pulse", self._cell()))
            fire()

        def waited(seconds: float) -> None:
            self.events.append(Event("wait", value=seconds))
            wait(seconds)

        monkeypatch.setattr(smu, "measure_current", measured)
        monkeypatch.setattr(pulse, "fire", fired)
        monkeypatch.setattr(bench, "wait", waited)
        return self

    def _cell(self) -> int:
        selected = self.sim.selected_cells
        assert selected.size == 1, f"host-driven steps address one cell, not {selected}"
        return int(selected[0])

    def of(self, cell: int) -> list[Event]:
        """The readings and pulses of ``cell``, with every wait, in order."""
        return [e for e in self.events if e.cell == cell or e.kind == "wait"]

    def count(self, kind: str, cell: int) -> int:
        return sum(e.kind == kind and e.cell == cell for e in self.events)


def bands(plan: LevelPlan, cells: NDArray[np.int64]
          ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Levels 0..7 in turn over ``cells``, and their bands."""
    levels = np.arange(cells.size) % plan.n_levels
    lo, hi = plan.band(levels)
    return levels, lo, hi


def program(bench: Bench, cells: NDArray[np.int64], lo: NDArray[np.float64],
            hi: NDArray[np.float64]) -> CellResults:
    """Calibrate the gate on ``cells``, then write-verify them from the host."""
    return bench.program(cells, lo, hi, mode="host", calibration=bench.calibrate_gate(cells))


def preprogram(bench: Bench, cells: NDArray[np.int64], lo: NDArray[np.float64],
               hi: NDArray[np.float64]) -> GateCalibration:
    """Put ``cells`` into their bands quickly (FPGA-offloaded); returns the calibration."""
    calibration = bench.calibrate_gate(cells)
    assert bench.program(cells, lo, hi, mode="fpga", calibration=calibration)["success"].all()
    return calibration


@pytest.mark.parametrize("scheme", list(Scheme))
def test_host_write_verify_converges_into_band(make_chip: MakeChip, plan: LevelPlan,
                                               scheme: Scheme) -> None:
    """ISPVA and IGVVA with a gate calibration bring 16 cells over 8 levels from the
    high-resistance state into their bands: every write succeeds, the accepted reading lies
    in band, and the true conductance lies within 4 read-noise sigmas of the band (so every
    cell reads back at its level)."""
    bench, sim = make_chip()
    bench.params = replace(bench.params, scheme=scheme)
    cells = CELLS[:16]
    levels, lo, hi = bands(plan, cells)
    r = program(bench, cells, lo, hi)
    g = sim.array.conductance(cells)
    slack = 4 * sim.array.read_sigma(g)
    assert r["success"].all()
    assert np.all((r["g_final"] >= lo) & (r["g_final"] <= hi))
    assert np.all((g >= lo - slack) & (g <= hi + slack))
    assert plan.readback_error(g, levels) == 0.0
    np.testing.assert_array_equal(r["set_pulses"] + r["reset_pulses"], r["pulses"])
    assert r["pulses"].mean() < 20 and r["set_pulses"].sum() > 0 and r["reset_pulses"].sum() > 0
    assert not sim.selected.any() and not sim.gate.any()  # left safe


def test_averaged_reads_take_reads_smu_readings_and_cut_the_verify_error(
        make_chip: MakeChip, plan: LevelPlan, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two identically seeded chips, 64 cells put in band first, then write-verified from the
    host with reads=1 and reads=8 (no confirm).

    Each verify is ``reads`` SMU readings: a cell's verifies are its pulses + 1, so the SMU
    reads exactly reads x (pulses + 1) times per cell. The accepted reading (g_final) differs
    from the true conductance by the verify's read noise, whose standard deviation averaging
    divides by sqrt(8) ~ 2.8 (expected ratio 0.35). The test asks for a ratio below 0.6: with
    64 cells each standard deviation is known to about 9 %, so 0.6 lies more than 4 standard
    errors above the expected ratio, and far below 1 (no averaging)."""
    cells = np.arange(64)
    _, lo, hi = bands(plan, cells)
    errors = {}
    for reads in (1, 8):
        bench, sim = make_chip()
        calibration = preprogram(bench, cells, lo, hi)
        bench.params = replace(bench.params, reads=reads, confirm=False)
        log = InstrumentLog(bench, sim).install(monkeypatch)
        r = bench.program(cells, lo, hi, mode="host", calibration=calibration)
        assert r["success"].all()
        smu_reads = [log.count("read", int(c)) for c in cells]
        np.testing.assert_array_equal(smu_reads, reads * (r["pulses"] + 1))
        errors[reads] = float(np.std(r["g_final"] - sim.array.conductance(cells)))
    assert errors[8] < 0.6 * errors[1]


@pytest.mark.parametrize("confirm", [True, False])
def test_a_cell_found_in_band_is_read_again_before_acceptance(
        make_chip: MakeChip, plan: LevelPlan, monkeypatch: pytest.MonkeyPatch,
        confirm: bool) -> None:
    """Replays each cell's SMU readings and pulses against the algorithm: a verify reading
    in band is followed by a second reading (with confirm), the write ends exactly when the
    reading(s) are in band, and otherwise one pulse follows each verify."""
    bench, sim = make_chip()
    bench.params = replace(bench.params, confirm=confirm)
    cells = CELLS[:8]
    _, lo, hi = bands(plan, cells)
    calibration = bench.calibrate_gate(cells)
    log = InstrumentLog(bench, sim).install(monkeypatch)
    r = bench.program(cells, lo, hi, mode="host", calibration=calibration)
    confirmed = 0
    for i, c in enumerate(cells):
        events = log.of(int(c))
        pulses = 0
        while True:
            first = events.pop(0)
            assert first.kind == "read"
            g, inside = first.value, bool(lo[i] <= first.value <= hi[i])
            if inside and confirm:
                again = events.pop(0)
                assert again.kind == "read", "a reading in band was not confirmed"
                g, inside = again.value, bool(lo[i] <= again.value <= hi[i])
                confirmed += 1
            if inside:
                break
            assert events.pop(0).kind == "pulse"
            pulses += 1
        assert not events, f"cell {c}: the bench went on after acceptance"
        assert (bool(r["success"][i]), int(r["pulses"][i])) == (True, pulses)
        assert r["g_final"][i] == pytest.approx(g, rel=1e-12, abs=0)
    assert (confirmed >= cells.size) if confirm else (confirmed == 0)


def test_wait_then_verify_resumes_the_cells_that_relaxed_out(
        make_chip: MakeChip, plan: LevelPlan, monkeypatch: pytest.MonkeyPatch) -> None:
    """32 cells put in band first, then write-verified from the host with wait=20 s (about
    1.3 uS of relaxation spread against +-2 uS bands). After all cells are written the bench
    waits, verifies every accepted cell and resumes, with its remaining pulses, exactly those
    that relaxed out of band (unless the fresh verify of the resumed loop finds the cell back
    in band); it waits again while cells were resumed. The bench clock advances by the
    waits, and every cell ends in band at its last verify, within its budget."""
    bench, sim = make_chip()
    _, lo, hi = bands(plan, CELLS)
    calibration = preprogram(bench, CELLS, lo, hi)
    bench.params = replace(bench.params, wait=20.0)
    log = InstrumentLog(bench, sim).install(monkeypatch)
    t0 = bench.clock()
    r = bench.program(CELLS, lo, hi, mode="host", calibration=calibration)
    assert r["success"].all() and np.all(r["time"] >= 20.0)
    waits = [e.value for e in log.events if e.kind == "wait"]
    assert waits and all(w == 20.0 for w in waits)
    assert 20.0 * len(waits) <= bench.clock() - t0 < 20.0 * len(waits) + 0.1
    resumed = 0
    for i, c in enumerate(CELLS):
        events = log.of(int(c))
        first_wait = next(k for k, e in enumerate(events) if e.kind == "wait")
        after = events[first_wait + 1:]
        assert after[0].kind == "read"
        relaxed_out = not lo[i] <= after[0].value <= hi[i]
        pulsed_again = any(e.kind == "pulse" for e in after)
        assert pulsed_again == relaxed_out or (relaxed_out and lo[i] <= after[1].value <= hi[i])
        resumed += pulsed_again
        last = [e for e in events if e.kind == "read"][-1]
        assert lo[i] <= last.value <= hi[i] and r["g_final"][i] == last.value
        assert log.count("pulse", int(c)) == r["pulses"][i] <= bench.params.max_pulses
    assert resumed >= 3


def test_a_small_budget_runs_out(make_chip: MakeChip, plan: LevelPlan,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """max_pulses=3 from the high-resistance state to the top levels, without calibration:
    no cell gets there; each fails after exactly 3 pulses and 4 verifies."""
    bench, sim = make_chip()
    bench.params = replace(bench.params, max_pulses=3)
    cells = CELLS[:16]
    levels = np.full(cells.size, plan.n_levels - 1)
    lo, hi = plan.band(levels)
    log = InstrumentLog(bench, sim).install(monkeypatch)
    r = bench.program(cells, lo, hi, mode="host")
    assert not r["success"].any()
    np.testing.assert_array_equal(r["pulses"], 3)
    assert [log.count("pulse", int(c)) for c in cells] == [3] * cells.size
    assert [log.count("read", int(c)) for c in cells] == [4] * cells.size
    assert np.all(r["g_final"] < lo)


def test_stuck_cells_fail_after_the_whole_budget_and_healthy_ones_succeed(
        make_chip: MakeChip, plan: LevelPlan, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chip with 20 % of cells stuck at LRS and 20 % at HRS: the stuck cells never move,
    so each spends all 30 pulses (fired on the bench) and fails; the healthy ones succeed.
    The gate is calibrated on the healthy cells (stuck-LRS cells would bias the median)."""
    bench, sim = make_chip(stuck_lrs_fraction=0.2, stuck_hrs_fraction=0.2)
    bench.params = replace(bench.params, max_pulses=30)
    cells = CELLS[:16]
    stuck = sim.array.stuck[cells] != STUCK_NONE
    assert 3 <= stuck.sum() <= 10
    _, lo, hi = bands(plan, cells)
    calibration = bench.calibrate_gate(cells[~stuck])
    log = InstrumentLog(bench, sim).install(monkeypatch)
    r = bench.program(cells, lo, hi, mode="host", calibration=calibration)
    assert not r["success"][stuck].any()
    np.testing.assert_array_equal(r["pulses"][stuck], 30)
    assert all(log.count("pulse", int(c)) == 30 for c in cells[stuck])
    assert r["success"][~stuck].all()
