"""Forming on the simulated bench: each pristine cell is formed once, nothing else is pulsed.

``Bench.form`` runs ``protocols.forming.form_cells`` through the FPGA and pulse-generator
drivers. The tests record every pulse the simulated array receives (which cells, at which
bit-line voltage, and whether each was already formed), every pulse amplitude configured,
and every board read, on a small chip of pristine cells (4 x 8, fixed seed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from labctl.bench import Bench
from mock_hw import SimulatedBench
from protocols.forming import FormingParams

MakeChip = Callable[..., tuple[Bench, SimulatedBench]]
"""The ``make_chip`` fixture of conftest.py."""

PRISTINE = {"rows": 4, "cols": 8, "formed_at_start": False}


@dataclass
class FormingLog:
    """Pulses reaching the array, amplitudes configured and cells read, in order."""

    pulses: list[tuple[NDArray[np.int64], float, NDArray[np.bool_]]] = field(
        default_factory=list)
    """(cells, bit-line volts, which of them were formed before the pulse)."""
    amplitudes: list[float] = field(default_factory=list)
    reads: list[NDArray[np.int64]] = field(default_factory=list)

    def install(self, bench: Bench, sim: SimulatedBench,
                monkeypatch: pytest.MonkeyPatch) -> FormingLog:
        array, set_pulse = sim.array, sim.array.set_pulse
        configure, read_cells = bench.pulse.configure_pulse, bench.fpga.read_cells

        def pulsed(cells: ArrayLike, v_bl: ArrayLike, v_gate: ArrayLike, width: float) -> None:
            idx = np.asarray(cells, dtype=np.int64).copy()
            self.pulses.append((idx, float(np.max(v_bl)), array.formed[idx].copy()))
            set_pulse(cells, v_bl, v_gate, width)

        def configured(amplitude: float, width: float, edge_time: float | None = None) -> None:
            self.amplitudes.append(amplitude)
            configure(amplitude, width, edge_time)

        def read(cells: ArrayLike, v_read: float) -> NDArray[np.float64]:
            self.reads.append(np.asarray(cells, dtype=np.int64).copy())
            return read_cells(cells, v_read)

        monkeypatch.setattr(array, "set_pulse", pulsed)
        monkeypatch.setattr(bench.pulse, "configure_pulse", configured)
        monkeypatch.setattr(bench.fpga, "read_cells", read)
        return self

    def times_pulsed(self, cell: int) -> int:
        return sum(int(np.count_nonzero(cells == cell)) for cells, _, _ in self.pulses)


def test_pristine_cells_are_formed_and_only_pristine_cells_are_pulsed(
        make_chip: MakeChip, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three word lines, four of their cells formed beforehand: every cell ends formed; no
    pulse ever reaches a formed cell (so a cell stops being pulsed once formed, and the
    pre-formed ones are never pulsed); each pulse reaches one word line; after each step
    exactly the cells just pulsed are read again (each read ``FormingParams.reads`` times)."""
    bench, sim = make_chip(**PRISTINE)
    cells = np.arange(24)
    before = np.array([1, 9, 10, 20])
    assert sim.array.form(before, 4.0, 1.2, 1e-6).all()
    log = FormingLog().install(bench, sim, monkeypatch)
    formed = bench.form(cells)
    assert formed.all() and sim.array.formed[cells].all()
    assert log.pulses, "pristine cells were not pulsed"
    for pulsed, _, were_formed in log.pulses:
        assert not were_formed.any(), f"formed cells {pulsed[were_formed]} were pulsed again"
        assert np.unique(pulsed // 8).size == 1, "one pulse reached several word lines"
    assert all(log.times_pulsed(int(c)) == 0 for c in before)
    assert all(log.times_pulsed(int(c)) >= 1 for c in np.setdiff1d(cells, before))
    assert max(log.times_pulsed(int(c)) for c in cells) >= 2  # the ramp was climbed
    repeat = FormingParams().reads
    checks = log.reads[::repeat]
    for k, read in enumerate(checks):
        for again in log.reads[k * repeat:(k + 1) * repeat]:
            np.testing.assert_array_equal(again, read)
    np.testing.assert_array_equal(checks[0], cells)
    steps = sorted({v for _, v, _ in log.pulses})
    for step, read in zip(steps, checks[1:], strict=True):
        pulsed_now = np.concatenate([c for c, v, _ in log.pulses if v == step])
        np.testing.assert_array_equal(np.sort(read), np.sort(pulsed_now))
    assert not sim.gate.any() and not sim.selected.any()  # left safe


def test_a_noisy_read_of_a_pristine_cell_does_not_leave_it_unformed(make_chip: MakeChip
                                                                    ) -> None:
    """With a 0.2 uS read floor one read puts 7 % of pristine cells above the 0.3 uS
    threshold, and a cell taken for formed is never pulsed; with the mean of three reads
    under 1 % of a 64 x 64 region stays unformed."""
    bench, sim = make_chip(rows=64, cols=64, formed_at_start=False, read_abs_sigma=0.2e-6)
    cells = np.arange(64 * 64)
    bench.form(cells)
    assert np.mean(~sim.array.formed[cells]) < 0.01


def test_cells_already_formed_are_never_pulsed(make_chip: MakeChip,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """On a formed chip forming only reads: no amplitude is configured, no pulse fired."""
    bench, sim = make_chip()
    log = FormingLog().install(bench, sim, monkeypatch)
    fired: list[None] = []
    fire = bench.pulse.fire
    monkeypatch.setattr(bench.pulse, "fire", lambda: fired.append(fire()))
    assert bench.form(np.arange(32)).all()
    assert (log.pulses, log.amplitudes, fired) == ([], [], [])
    assert len(log.reads) == FormingParams().reads


@pytest.mark.parametrize(("params", "ramp"), [
    (FormingParams(), [3.0, 3.2, 3.4, 3.6, 3.8, 4.0]),
    (FormingParams(v_start=3.0, v_step=0.25, v_max=3.5), [3.0, 3.25, 3.5]),
    (FormingParams(v_start=3.0, v_step=0.3, v_max=3.5), [3.0, 3.3]),
    (FormingParams(v_start=3.2, v_step=0.5, v_max=3.2), [3.2]),
    (FormingParams(v_start=3.0, v_step=0.1, v_max=3.3), [3.0, 3.1, 3.2, 3.3]),
    (FormingParams(v_start=2.5, v_step=0.2, v_max=3.9), [2.5, 2.7, 2.9, 3.1, 3.3, 3.5, 3.7, 3.9]),
])
def test_the_ramp_steps_up_to_v_max_and_never_beyond(
        make_chip: MakeChip, monkeypatch: pytest.MonkeyPatch, params: FormingParams,
        ramp: list[float]) -> None:
    """A cell that never forms (forming voltage 9 V) is pulsed at every step of the ramp,
    from v_start by v_step up to v_max and never beyond, then left unformed and reported
    so; the other cells of its word line are formed and reported formed. The last two
    cases land on v_max only up to rounding ((3.3 - 3.0) / 0.1 = 2.9999...; 2.5 + 7 x 0.2
    = 3.9000000000000004): the ramp must still reach v_max and never exceed it."""
    np.testing.assert_allclose(params.voltages(), ramp)
    assert params.voltages().max() <= params.v_max  # exactly, not up to rounding
    bench, sim = make_chip(**PRISTINE)
    bench.forming = params
    stubborn = 3
    sim.array.v_form[stubborn] = 9.0
    sim.array.v_form[:8][np.arange(8) != stubborn] = params.v_start - 0.1
    log = FormingLog().install(bench, sim, monkeypatch)
    formed = bench.form(np.arange(8))
    np.testing.assert_allclose(log.amplitudes, ramp)
    assert max(log.amplitudes) <= params.v_max and max(v for _, v, _ in log.pulses) <= params.v_max
    assert log.times_pulsed(stubborn) == len(ramp)
    assert formed.tolist() == [c != stubborn for c in range(8)]
    assert not sim.array.formed[stubborn] and sim.array.formed[:8].sum() == 7
