"""Write-verify against SPEC.md section 6, exactly, on scripted cells.

A scripted cell returns a fixed sequence of verify readings whatever is pulsed, so every
decision of the algorithm (SET or RESET, which step of which ramp, when to accept, when to
give up) and every booked quantity (energy, time) can be written down by hand. The same
scripts drive both engines: the host-driven loop of ``protocols.write_verify`` through the
``HostOps`` protocol, and the emulated firmware's vectorized loop
(``mock_hw.fpga.writeverify``) through the array and reader it expects. Where the two must
agree but cannot be written down by hand, a deterministic toy physics drives both and their
records are compared field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from drivers.fpga.writeverify import CellResults, Scheme, WriteVerifyParams
from mock_hw.fpga import writeverify as firmware
from protocols.write_verify import write_verify_host

READ_TIME = 1e-6
"""Bench time of one read of the scripted cells (s)."""
LO, HI = 40e-6, 44e-6
"""The band every scripted cell is programmed into (S)."""
US = 1e-6
"""One microsiemens (S)."""

Engine = Literal["host", "firmware"]
ENGINES: tuple[Engine, ...] = ("host", "firmware")
Pulse = tuple[str, float, float, float]
"""("set" | "reset", volts on the pulsed line, gate volts, width)."""


# ------------------------------------------------------------------ scripted cells
@dataclass
class Scripted:
    """Cells whose verify readings (S) follow per-cell scripts; records pulses and waits."""

    scripts: dict[int, list[float]]
    now: float = 0.0
    pulses: dict[int, list[Pulse]] = field(default_factory=dict)
    reads_asked: list[int] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scripts = {c: list(s) for c, s in self.scripts.items()}
        self.pulses = {c: [] for c in self.scripts}

    def reading(self, cell: int) -> float:
        if not self.scripts[cell]:
            raise AssertionError(f"cell {cell} was verified more often than its script allows")
        return self.scripts[cell].pop(0)

    def pulse(self, kind: str, cell: int, volts: float, gate: float, width: float) -> None:
        self.pulses[cell].append((kind, round(volts, 9), round(gate, 6), width))

    def left(self) -> dict[int, int]:
        """Readings not consumed, per cell (0 everywhere: each script was read exactly)."""
        return {c: len(s) for c, s in self.scripts.items()}


class HostSide:
    """``HostOps`` over scripted cells: what the host loop sees of a bench."""

    def __init__(self, cells: Scripted) -> None:
        self.cells = cells

    def read(self, cell: int, v_read: float, reads: int) -> float:
        self.cells.reads_asked.append(reads)
        self.cells.now += reads * READ_TIME
        return self.cells.reading(cell)

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        self.cells.pulse("set", cell, v_bl, v_gate, width)
        self.cells.now += width

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        self.cells.pulse("reset", cell, v_sl, v_gate, width)
        self.cells.now += width

    def wait(self, seconds: float) -> None:
        self.cells.waits.append(seconds)
        self.cells.now += seconds

    def clock(self) -> float:
        return self.cells.now


@dataclass(frozen=True)
class _Model:
    read_time: float = READ_TIME


class BoardSide:
    """The array and reader the firmware engine drives, over scripted cells."""

    model = _Model()

    def __init__(self, cells: Scripted) -> None:
        self.cells = cells

    @property
    def clock(self) -> float:
        return self.cells.now

    def advance(self, dt: float) -> None:
        if dt >= 1e-3:  # a wait; the engine's closing clock fix-up is a few read times
            self.cells.waits.append(dt)
        self.cells.now += dt

    def read(self, cells: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.array([self.cells.reading(int(c)) for c in cells])

    def _pulses(self, kind: str, idx: NDArray[np.int64], volts: ArrayLike, gate: ArrayLike,
                width: float) -> None:
        v = np.broadcast_to(np.asarray(volts, dtype=np.float64), idx.shape)
        g = np.broadcast_to(np.asarray(gate, dtype=np.float64), idx.shape)
        for c, vc, gc in zip(idx, v, g, strict=True):
            self.cells.pulse(kind, int(c), float(vc), float(gc), width)
        self.cells.now += width

    def set_checked(self, idx: NDArray[np.int64], v_bl: ArrayLike, v_gate: ArrayLike,
                    width: float) -> None:
        self._pulses("set", idx, v_bl, v_gate, width)

    def reset_checked(self, idx: NDArray[np.int64], v_sl: ArrayLike, v_gate: ArrayLike,
                      width: float) -> None:
        self._pulses("reset", idx, v_sl, v_gate, width)


def program_block(p: WriteVerifyParams) -> firmware.Program:
    """The firmware's decoded parameter block for ``p`` (what WRITE_VERIFY carries)."""
    given = {f.name: getattr(p, f.name) for f in fields(firmware.Program) if hasattr(p, f.name)}
    given["scheme"] = firmware.IGVVA if p.scheme == Scheme.IGVVA else firmware.ISPVA
    return firmware.Program(**given, wait_verify=p.wait > 0)


def run(engine: Engine, cells: Scripted, p: WriteVerifyParams,
        gate_start: list[float] | None = None) -> CellResults:
    """Program every scripted cell into [LO, HI] with ``engine``; one record per cell."""
    ids = sorted(cells.scripts)
    lo, hi = [LO] * len(ids), [HI] * len(ids)
    if engine == "host":
        return write_verify_host(ids, lo, hi, p, HostSide(cells), gate_start)
    gates = np.full(len(ids), p.gate_start) if gate_start is None else np.asarray(gate_start)
    board = BoardSide(cells)
    out, _ = firmware.write_verify(board, board.read, np.asarray(ids, dtype=np.int64),  # type: ignore[arg-type]
                                   np.asarray(lo), np.asarray(hi), gates, program_block(p))
    return out


def counts(record: np.void) -> tuple[bool, int, int, int, int]:
    return (bool(record["success"]), int(record["pulses"]), int(record["set_pulses"]),
            int(record["reset_pulses"]), int(record["reversals"]))


# ------------------------------------------------------------------ the ramps
ZIGZAG = [-1.0, 20.0, 30.0, 50.0, 48.0, 46.0, 30.0, 45.0, 42.0]
"""Readings (uS) of a cell that goes SET x3, RESET x3, SET, RESET, then reads in band;
the first reading is below 0 S, as read noise can make it for a highly resistive cell."""


@pytest.mark.parametrize("engine", ENGINES)
def test_igvva_steps_the_gate_and_restarts_each_ramp_after_a_reversal(engine: Engine) -> None:
    """IGVVA: SET steps the gate from gate_start at the fixed v_set; RESET steps the source
    line from reset_start at reset_gate; a polarity change restarts the new polarity's ramp
    at its start (SPEC.md section 6, reversal rule) and counts one reversal."""
    p = WriteVerifyParams(scheme=Scheme.IGVVA, confirm=False, set_width=300e-9,
                          reset_width=700e-9)
    cells = Scripted({0: [g * US for g in ZIGZAG]})
    (r,) = run(engine, cells, p)

    def set_at(gate: float) -> Pulse:
        return ("set", p.v_set, gate, 300e-9)

    def reset_at(volts: float) -> Pulse:
        return ("reset", volts, p.reset_gate, 700e-9)

    assert cells.pulses[0] == [set_at(0.7), set_at(0.725), set_at(0.75), reset_at(0.9),
                               reset_at(0.95), reset_at(1.0), set_at(0.7), reset_at(0.9)]
    assert counts(r) == (True, 8, 4, 4, 3)
    assert r["g_final"] == pytest.approx(42 * US, rel=1e-6, abs=0)
    assert cells.left() == {0: 0}


@pytest.mark.parametrize("engine", ENGINES)
def test_ispva_steps_the_bit_line_at_the_cells_own_fixed_gate(engine: Engine) -> None:
    """ISPVA: SET steps the bit line from set_start at the fixed gate, which a cell's own
    gate_start overrides; the SET ramp restarts after a RESET just as IGVVA's does."""
    p = WriteVerifyParams(scheme=Scheme.ISPVA, confirm=False)
    cells = Scripted({0: [g * US for g in ZIGZAG]})
    (r,) = run(engine, cells, p, gate_start=[0.95])
    sets = [(v, g) for kind, v, g, _ in cells.pulses[0] if kind == "set"]
    resets = [(v, g) for kind, v, g, _ in cells.pulses[0] if kind == "reset"]
    assert sets == [(1.0, 0.95), (1.05, 0.95), (1.1, 0.95), (1.0, 0.95)]
    assert resets == [(0.9, 2.7), (0.95, 2.7), (1.0, 2.7), (0.9, 2.7)]
    assert counts(r) == (True, 8, 4, 4, 3)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("scheme", list(Scheme))
def test_every_ramp_stops_at_its_ceiling(engine: Engine, scheme: Scheme) -> None:
    """Four pulses of each polarity with ceilings two steps above the starts: the third and
    fourth pulse stay at the ceiling (gate_max, set_max, reset_max)."""
    p = WriteVerifyParams(scheme=scheme, confirm=False, gate_max=0.74, set_max=1.08,
                          reset_max=0.97)
    cells = Scripted({0: [g * US for g in (10, 10, 10, 10, 50, 50, 50, 50, 42)]})
    run(engine, cells, p)
    sets = [(v, g) for kind, v, g, _ in cells.pulses[0] if kind == "set"]
    resets = [v for kind, v, _, _ in cells.pulses[0] if kind == "reset"]
    if scheme == Scheme.IGVVA:
        assert sets == [(1.5, 0.7), (1.5, 0.725), (1.5, 0.74), (1.5, 0.74)]
    else:
        assert sets == [(1.0, 0.7), (1.05, 0.7), (1.08, 0.7), (1.08, 0.7)]
    assert resets == [0.9, 0.95, 0.97, 0.97]


# ------------------------------------------------------------------ energy
@pytest.mark.parametrize("engine", ENGINES)
def test_energy_sums_v_squared_times_measured_g_clamped_at_zero_times_width(
        engine: Engine) -> None:
    """Energy = sum over pulses of V^2 max(G, 0) t with V on the pulsed line and G the verify
    reading just before the pulse; the negative first reading adds nothing."""
    p = WriteVerifyParams(scheme=Scheme.IGVVA, confirm=False, set_width=300e-9,
                          reset_width=700e-9)
    cells = Scripted({0: [g * US for g in ZIGZAG]})
    (r,) = run(engine, cells, p)
    volts = [1.5, 1.5, 1.5, 0.9, 0.95, 1.0, 1.5, 0.9]
    widths = [300e-9] * 3 + [700e-9] * 3 + [300e-9, 700e-9]
    expected = sum(v * v * max(g * US, 0.0) * w
                   for v, g, w in zip(volts, ZIGZAG[:-1], widths, strict=True))
    assert r["energy"] == pytest.approx(expected, rel=1e-6, abs=0)
    assert r["energy"] > 0


# ------------------------------------------------------------------ verify, confirm, budget
@pytest.mark.parametrize("engine", ENGINES)
def test_a_cell_found_in_band_is_read_again_before_it_is_accepted(engine: Engine) -> None:
    """With confirm, an in-band reading that the re-read contradicts (38 uS, below) is not
    accepted: the cell is SET and accepted only after two in-band readings in a row."""
    p = WriteVerifyParams(confirm=True)
    cells = Scripted({0: [42 * US, 38 * US, 42 * US, 43 * US]})
    (r,) = run(engine, cells, p)
    assert counts(r) == (True, 1, 1, 0, 0)
    assert r["g_final"] == pytest.approx(43 * US, rel=1e-6, abs=0)
    assert cells.left() == {0: 0}


@pytest.mark.parametrize("engine", ENGINES)
def test_without_confirm_the_first_in_band_reading_is_accepted(engine: Engine) -> None:
    """confirm=False: one reading in band ends the write with no pulse and no re-read."""
    cells = Scripted({0: [42 * US, 99 * US]})
    (r,) = run(engine, cells, WriteVerifyParams(confirm=False))
    assert counts(r) == (True, 0, 0, 0, 0)
    assert cells.left() == {0: 1}


def test_every_host_verify_asks_for_the_configured_number_of_averaged_reads() -> None:
    """Each host verify (and re-read) is one averaged read of ``reads`` samples. (The
    firmware averages inside the reader its engine is given; the engine itself only books
    their time, which ``test_time_counts_reads_and_pulses`` checks.)"""
    cells = Scripted({0: [10 * US, 42 * US, 42 * US], 1: [50 * US, 43 * US, 41 * US]})
    run("host", cells, WriteVerifyParams(reads=5))
    assert cells.reads_asked == [5] * 6


@pytest.mark.parametrize("engine", ENGINES)
def test_a_spent_budget_fails_after_exactly_max_pulses(engine: Engine) -> None:
    """A cell that never reaches its band gets max_pulses pulses and one verify after each
    (plus the first), then fails with the last reading as its final conductance."""
    cells = Scripted({0: [float(i) * US for i in range(1, 7)]})
    (r,) = run(engine, cells, WriteVerifyParams(max_pulses=5, confirm=False))
    assert counts(r) == (False, 5, 5, 0, 0)
    assert r["g_final"] == pytest.approx(6 * US, rel=1e-6, abs=0)
    assert cells.left() == {0: 0}


@pytest.mark.parametrize("engine", ENGINES)
def test_time_counts_reads_and_pulses(engine: Engine) -> None:
    """Without waits, a cell's time is its reads (read time each) plus its pulse widths."""
    cells = Scripted({0: [g * US for g in ZIGZAG]})
    p = WriteVerifyParams(confirm=False, reads=3, set_width=300e-9, reset_width=700e-9)
    (r,) = run(engine, cells, p)
    assert r["time"] == pytest.approx(9 * 3 * READ_TIME + 4 * 300e-9 + 4 * 700e-9,
                                     rel=1e-6, abs=0)


# ------------------------------------------------------------------ wait-then-verify
@pytest.mark.parametrize("engine", ENGINES)
def test_cells_that_relax_out_resume_with_counters_and_polarity_kept(engine: Engine) -> None:
    """After the wait, cell 0 reads below its band and resumes its SET ramp at the next step
    (0.75 V, not 0.7 V); cell 1 reads above and RESETs, which after its SET is a reversal.
    Both are accepted again, so the batch waits a second time and verifies them again;
    cell 2 stayed in band and is verified once after each wait it took part in."""
    p = WriteVerifyParams(confirm=False, wait=2.0)
    cells = Scripted({
        0: [10 * US, 20 * US, 42 * US, 30 * US, 30 * US, 42 * US, 42 * US],
        1: [10 * US, 42 * US, 50 * US, 50 * US, 43 * US, 43 * US],
        2: [41 * US, 41 * US]})
    r = run(engine, cells, p)
    assert [g for kind, _, g, _ in cells.pulses[0]] == [0.7, 0.725, 0.75]
    assert [kind for kind, *_ in cells.pulses[1]] == ["set", "reset"]
    assert [counts(x) for x in r] == [(True, 3, 3, 0, 0), (True, 2, 1, 1, 1),
                                      (True, 0, 0, 0, 0)]
    assert cells.waits == [2.0, 2.0]
    assert cells.left() == {0: 0, 1: 0, 2: 0}
    assert np.all(r["time"][:2] >= 4.0) and 2.0 <= r["time"][2] < 3.0


@pytest.mark.parametrize("engine", ENGINES)
def test_waits_stop_after_the_fourth(engine: Engine) -> None:
    """SPEC.md: at most 4 waits per batch; after the 4th a cell out of band is a failure.
    The cell here is pushed out of band by every wait and back in by one SET, so the batch
    must end after 4 waits and 4 pulses, not go on until the budget is spent."""
    p = WriteVerifyParams(confirm=False, wait=1.0, max_pulses=10)
    cells = Scripted({0: [10 * US, 42 * US] + [30 * US, 30 * US, 42 * US] * 12})
    (r,) = run(engine, cells, p)
    assert cells.waits == [1.0] * 4
    assert counts(r) == (False, 4, 4, 0, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_wait_is_repeated_for_every_cell_found_out_of_band(engine: Engine) -> None:
    """SPEC.md: cells found out of band after a wait resume the loop "and the wait is
    repeated for them". Here the fresh verify of the resumed loop finds the cell back in
    band without a pulse; it still takes part in the next wait and is verified after it."""
    cells = Scripted({0: [42 * US, 30 * US, 42 * US, 42 * US]})
    (r,) = run(engine, cells, WriteVerifyParams(confirm=False, wait=1.0))
    assert cells.waits == [1.0, 1.0]
    assert cells.left() == {0: 0}
    assert bool(r["success"])


@pytest.mark.parametrize("engine", ENGINES)
def test_time_counts_the_verify_after_each_wait(engine: Engine) -> None:
    """SPEC.md: a cell's time counts its reads, its pulses and its waits. A cell accepted at
    once and verified once after the wait spent 2 reads (2 x 3 read times) and the wait,
    the read after it included."""
    cells = Scripted({0: [42 * US, 42 * US]})
    (r,) = run(engine, cells, WriteVerifyParams(confirm=False, reads=3, wait=1.0))
    assert r["time"] == pytest.approx(1.0 + 2 * 3 * READ_TIME, abs=5e-7)


# ------------------------------------------------------------------ host = firmware
class ToyPhysics:
    """Deterministic cells: SET moves G half-way to 60 uS/V x (V_G - 0.5) x min(V_BL, 2),
    never down; RESET removes a fraction 0.1 x V_SL; the first wait lowers every G by
    ``drift`` (later ones do nothing, so no run needs more than two waits)."""

    def __init__(self, g0: NDArray[np.float64], drift: float) -> None:
        self.g = g0.copy()
        self.drift = drift
        self.now = 0.0

    def set(self, idx: NDArray[np.int64], v_bl: ArrayLike, v_gate: ArrayLike) -> None:
        target = 60e-6 * (np.asarray(v_gate) - 0.5) * np.minimum(v_bl, 2.0)
        self.g[idx] += 0.5 * np.maximum(target - self.g[idx], 0.0)

    def reset(self, idx: NDArray[np.int64], v_sl: ArrayLike) -> None:
        self.g[idx] *= 1.0 - 0.1 * np.asarray(v_sl)

    def wait(self, dt: float) -> None:
        self.now += dt
        if dt > 1e-3:
            self.g -= self.drift
            self.drift = 0.0


class ToyHost:
    """HostOps over ToyPhysics."""

    def __init__(self, phys: ToyPhysics) -> None:
        self.phys = phys

    def read(self, cell: int, v_read: float, reads: int) -> float:
        self.phys.now += reads * READ_TIME
        return float(self.phys.g[cell])

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        self.phys.set(np.array([cell]), v_bl, v_gate)
        self.phys.now += width

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        self.phys.reset(np.array([cell]), v_sl)
        self.phys.now += width

    def wait(self, seconds: float) -> None:
        self.phys.wait(seconds)

    def clock(self) -> float:
        return self.phys.now


class ToyBoard:
    """The firmware engine's array over ToyPhysics."""

    model = _Model()

    def __init__(self, phys: ToyPhysics) -> None:
        self.phys = phys

    @property
    def clock(self) -> float:
        return self.phys.now

    def advance(self, dt: float) -> None:
        self.phys.wait(dt)

    def read(self, cells: NDArray[np.int64]) -> NDArray[np.float64]:
        return self.phys.g[cells].copy()

    def set_checked(self, idx: NDArray[np.int64], v_bl: ArrayLike, v_gate: ArrayLike,
                    width: float) -> None:
        self.phys.set(idx, v_bl, v_gate)
        self.phys.now += width

    def reset_checked(self, idx: NDArray[np.int64], v_sl: ArrayLike, v_gate: ArrayLike,
                      width: float) -> None:
        self.phys.reset(idx, v_sl)
        self.phys.now += width


Runner = Callable[[ToyPhysics, NDArray[np.float64], NDArray[np.float64], WriteVerifyParams],
                  CellResults]


@pytest.mark.parametrize("scheme", list(Scheme))
@pytest.mark.parametrize(("confirm", "wait"), [(True, 0.0), (False, 0.0), (True, 2.0)])
def test_host_loop_and_firmware_engine_agree_cell_for_cell(scheme: Scheme, confirm: bool,
                                                           wait: float) -> None:
    """On deterministic cells (48, random start and target over the window) the two engines
    of the one algorithm give identical records: outcome, pulse and reversal counts, final
    G and energy (to float32, the firmware's wire precision), time when no wait is involved
    (the time after a wait is checked above) and the batch's clock.
    """
    rng = np.random.default_rng(11)
    n = 48
    g0 = rng.uniform(1e-6, 120e-6, n)
    centre = rng.uniform(12e-6, 110e-6, n)
    lo, hi = centre - 2e-6, centre + 2e-6
    p = WriteVerifyParams(scheme=scheme, confirm=confirm, wait=wait)
    host_phys, board_phys = ToyPhysics(g0, 3e-6), ToyPhysics(g0, 3e-6)
    host = write_verify_host(range(n), lo, hi, p, ToyHost(host_phys))
    board = ToyBoard(board_phys)
    fw, batch_time = firmware.write_verify(board, board.read, np.arange(n), lo, hi,  # type: ignore[arg-type]
                                           np.full(n, p.gate_start), program_block(p))
    assert 0.1 < host["success"].mean() < 1.0  # some cells fail: both paths are exercised
    assert host["reversals"].sum() > 0 and (wait == 0 or host_phys.drift == 0)
    for name in ("success", "pulses", "set_pulses", "reset_pulses", "reversals"):
        np.testing.assert_array_equal(host[name], fw[name], err_msg=name)
    np.testing.assert_allclose(host["g_final"], fw["g_final"], rtol=1e-6)
    np.testing.assert_allclose(host["energy"], fw["energy"], rtol=1e-6)
    if wait == 0:
        np.testing.assert_allclose(host["time"], fw["time"], rtol=1e-6)
    assert host_phys.now == pytest.approx(board_phys.now, rel=1e-9)
    assert board_phys.now == pytest.approx(batch_time, rel=1e-6)
