"""The 1T1R addressing rules, command by command.

``connect_row``/``disconnect_row`` drive the FPGA link of a simulated bench through a
recorder that snapshots the switch matrix (selection, bit-line and source-line routes,
gates) after every command, so both the final routing and the order in which it was set up
are checked: the gate of the word line must be the last thing turned on and the first
turned off, so that no intermediate routing ever has a gated cell on a live line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from drivers.fpga import FpgaLink, LoopbackPort
from drivers.fpga.payloads import Identity
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.fpga.firmware import FpgaFirmware
from protocols.addressing import by_row, connect_row, disconnect_row
from tests.interlock import lax

TILES, ROWS, COLS = 2, 4, 8


@dataclass(frozen=True)
class Snapshot:
    """The switch matrix right after one FPGA command."""

    command: str
    selected: NDArray[np.int64]
    bl: NDArray[np.int8]
    sl: NDArray[np.int8]
    gate: NDArray[np.float64]


@dataclass
class RecordingFpga:
    """An FpgaLink stand-in that forwards every command and snapshots the routing after it."""

    link: FpgaLink
    sim: SimulatedBench
    log: list[Snapshot] = field(default_factory=list)

    @property
    def identity(self) -> Identity:
        return self.link.identity

    def _snap(self, command: str) -> None:
        s = self.sim
        self.log.append(Snapshot(command, s.selected_cells.copy(), s.bl_route.copy(),
                                 s.sl_route.copy(), s.gate.copy()))

    def select(self, cells: ArrayLike) -> None:
        self.link.select(cells)
        self._snap("select")

    def route(self, tile: int, bit_lines: ArrayLike, source_lines: ArrayLike, to: str) -> None:
        self.link.route(tile, bit_lines, source_lines, to)
        self._snap(f"route {to}")

    def set_gate(self, tile: int, rows: ArrayLike, volts: ArrayLike) -> None:
        self.link.set_gate(tile, rows, volts)
        self._snap("set_gate")


@pytest.fixture
def rec() -> RecordingFpga:
    """A recorder on a fresh 2-tile 4 x 8 chip whose tile 1 bit lines all float at first,
    so a rule that relies on a line's previous route instead of setting it shows up."""
    sim = SimulatedBench(RRAMArray(DeviceModel(rows=ROWS, cols=COLS, tiles=TILES), seed=0))
    link = FpgaLink(LoopbackPort(FpgaFirmware(sim).handle), lax())
    link.route(1, bit_lines=np.arange(COLS), source_lines=[], to="float")
    return RecordingFpga(link, sim)


def fpga(rec: RecordingFpga) -> FpgaLink:
    return cast(FpgaLink, rec)


def assert_gate_on_last(log: list[Snapshot]) -> None:
    """Only the last command turns a gate on; every state before it has all gates off."""
    assert log[-1].command == "set_gate"
    for snap in log[:-1]:
        assert not snap.gate.any(), f"a gate was on after {snap.command!r}"


def test_set_drives_only_the_cells_bit_lines_with_every_other_line_grounded(
        rec: RecordingFpga) -> None:
    """SET of columns 1 and 4 of tile 1, row 2: those bit lines on the pulse, every other
    bit line of the tile grounded (they floated before), the row's source line grounded,
    the row's gate at the SET gate and no other gate on; tile 0 untouched."""
    connect_row(fpga(rec), 1, 2, np.array([1, 4]), 1.1, reset=False)
    end = rec.log[-1]
    np.testing.assert_array_equal(end.selected, [(1 * ROWS + 2) * COLS + 1,
                                                 (1 * ROWS + 2) * COLS + 4])
    expected_bl = np.full(COLS, Route.GROUND)
    expected_bl[[1, 4]] = Route.PULSE
    np.testing.assert_array_equal(end.bl[1], expected_bl)
    assert (end.sl[1] == Route.GROUND).all()
    assert end.gate[1, 2] == pytest.approx(1.1) and np.count_nonzero(end.gate) == 1
    assert (end.bl[0] == Route.GROUND).all() and (end.sl[0] == Route.GROUND).all()
    assert_gate_on_last(rec.log)


def test_reset_drives_the_source_line_with_the_cells_grounded_and_others_floating(
        rec: RecordingFpga) -> None:
    """RESET of columns 0, 5 and 7 of tile 1, row 3: the row's source line on the pulse,
    those cells' bit lines grounded, every other bit line floating (no current path through
    the rest of the row), the other source lines grounded, the gate on last."""
    rec.link.route(1, bit_lines=np.arange(COLS), source_lines=[], to="ground")
    connect_row(fpga(rec), 1, 3, np.array([0, 5, 7]), 2.7, reset=True)
    end = rec.log[-1]
    expected_bl = np.full(COLS, Route.FLOAT)
    expected_bl[[0, 5, 7]] = Route.GROUND
    np.testing.assert_array_equal(end.bl[1], expected_bl)
    np.testing.assert_array_equal(end.sl[1], [Route.GROUND] * 3 + [Route.PULSE])
    assert end.gate[1, 3] == pytest.approx(2.7) and np.count_nonzero(end.gate) == 1
    assert_gate_on_last(rec.log)


@pytest.mark.parametrize("reset", [False, True])
def test_disconnect_turns_the_gate_off_first_then_grounds_every_line(
        rec: RecordingFpga, reset: bool) -> None:
    """After a SET or RESET connection, the first command of disconnect_row turns the gate
    off while the lines are still routed; then every bit line and the source line go to
    ground."""
    connect_row(fpga(rec), 1, 2, np.array([3]), 1.5, reset=reset)
    connected = rec.log[-1]
    rec.log.clear()
    disconnect_row(fpga(rec), 1, 2)
    first, end = rec.log[0], rec.log[-1]
    assert first.command == "set_gate" and not first.gate.any()
    np.testing.assert_array_equal(first.bl, connected.bl)
    np.testing.assert_array_equal(first.sl, connected.sl)
    assert (end.bl == Route.GROUND).all() and (end.sl == Route.GROUND).all()
    assert not end.gate.any()


def test_by_row_groups_cells_by_tile_and_word_line() -> None:
    """Cells in any order over two tiles (4 x 8): one group per (tile, row), in ascending
    order, each with its columns in the order given, together exactly the cells given."""
    cells = np.array([45, 3, 33, 1, 62, 40, 7, 58, 34])
    groups = [(t, r, c.tolist()) for t, r, c in by_row(cells, ROWS, COLS)]
    assert groups == [(0, 0, [3, 1, 7]), (1, 0, [1, 2]), (1, 1, [5, 0]), (1, 3, [6, 2])]
    flat = [(t * ROWS + r) * COLS + c for t, r, cs in groups for c in cs]
    assert sorted(flat) == sorted(cells.tolist())


def test_by_row_of_no_cells_yields_no_group() -> None:
    """An empty selection has no word line to pulse (np.split would give one empty part)."""
    assert list(by_row(np.array([], dtype=np.int64), ROWS, COLS)) == []
