"""The bench facade on the simulated chip: reads, crossbar products, and always left safe."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import LabError
from labctl.backends import simulated_bench
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench


@pytest.fixture
def sim() -> SimulatedBench:
    return SimulatedBench(RRAMArray(DeviceModel(formed_at_start=True), seed=4))


def test_mvm_matches_the_read_back_conductances(sim: SimulatedBench) -> None:
    with simulated_bench(sim) as bench:
        cells = np.arange(128)
        bench.program(cells, np.full(128, 40e-6), np.full(128, 44e-6), mode="fpga")
        g = bench.read_array(0)
        v = np.zeros((3, 128))
        v[0, 0] = 0.1
        v[1, :] = 0.05
        v[2, ::2] = 0.2
        out = bench.mvm(0, v)
    expected = v @ g
    lsb = 4e-3 / 2**13
    np.testing.assert_allclose(out, expected, atol=4 * lsb + 0.03 * np.abs(expected).max())
    assert np.all(np.abs(out[0, :] - 0.1 * g[0, :]) < 2 * lsb)


def test_the_bench_is_left_safe_even_when_a_procedure_fails(sim: SimulatedBench) -> None:
    with pytest.raises(LabError), simulated_bench(sim) as bench:
        bench.smu.apply_voltage(0.2, 1e-3)
        bench.fpga.route(0, bit_lines=[3], source_lines=[], to="pulse")
        bench.fpga.set_gate(0, [5], [1.2])
        bench.pulse.configure_pulse(9.0, 1e-6)  # beyond the setup's 4 V: refused, nothing sent
    assert not sim.selected.any()
    assert (sim.bl_route == Route.GROUND).all() and (sim.sl_route == Route.GROUND).all()
    assert not sim.gate.any()
