"""One word line at a time: a RESET floats every other bit line, a SET grounds them."""

from __future__ import annotations

import numpy as np

from drivers.fpga import FpgaLink, LoopbackPort
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.fpga.firmware import FpgaFirmware
from protocols.addressing import by_row, connect_row, disconnect_row
from tests.interlock import lax


def _link() -> tuple[FpgaLink, SimulatedBench]:
    sim = SimulatedBench(RRAMArray(DeviceModel(rows=8, cols=8, tiles=2), seed=0))
    return FpgaLink(LoopbackPort(FpgaFirmware(sim).handle), lax()), sim


def test_reset_routing_leaves_no_path_through_the_rest_of_the_row() -> None:
    fpga, sim = _link()
    connect_row(fpga, 1, 3, np.array([2, 5]), 2.7, reset=True)
    assert list(sim.bl_route[1]) == [Route.FLOAT] * 2 + [Route.GROUND] + [Route.FLOAT] * 2 + [
        Route.GROUND] + [Route.FLOAT] * 2
    assert sim.sl_route[1, 3] == Route.PULSE
    assert np.flatnonzero(sim.gate[1]).tolist() == [3] and not sim.gate[0].any()
    assert np.flatnonzero(sim.selected).tolist() == [64 + 3 * 8 + 2, 64 + 3 * 8 + 5]
    disconnect_row(fpga, 1, 3)
    assert not sim.gate.any()
    assert (sim.bl_route == Route.GROUND).all() and (sim.sl_route == Route.GROUND).all()


def test_set_routing_pulses_only_the_cells_bit_lines() -> None:
    fpga, sim = _link()
    connect_row(fpga, 0, 6, np.array([1]), 1.1, reset=False)
    assert np.flatnonzero(sim.bl_route[0] == Route.PULSE).tolist() == [1]
    assert (sim.bl_route[0][np.arange(8) != 1] == Route.GROUND).all()
    assert sim.sl_route[0, 6] == Route.GROUND and sim.gate[0, 6] > 1.0


def test_cells_are_grouped_by_word_line() -> None:
    groups = [(t, r, c.tolist()) for t, r, c in by_row(np.array([70, 3, 1, 66]), 8, 8)]
    assert groups == [(0, 0, [3, 1]), (1, 0, [6, 2])]
