"""The simulated array's outputs for one fixed sequence of every operation, seed for seed,
against a recorded file: refactoring the model (state, caches, kernels) must not change one
bit. A change of the physics is a deliberate new recording:

    python -m tests.mock_hw.test_array_golden   # rewrites tests/mock_hw/data/array_golden.npz
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mock_hw import DeviceModel, RRAMArray

GOLDEN = Path(__file__).parent / "data" / "array_golden.npz"


def trace() -> dict[str, np.ndarray]:
    """Forming, SET and RESET pulses, reads, a wait, noisy and ideal MVMs, a DC staircase and
    a burst of cycles that wears cells out."""
    array = RRAMArray(DeviceModel(tiles=2, rows=16, cols=16, endurance_median=50.0), seed=11)
    out: dict[str, np.ndarray] = {}
    cells = array.cells_of()
    out["formed"] = array.form(cells, 3.6, 1.2, 1e-6).astype(np.int8)
    half = cells[::2]
    array.set_pulse(half, 1.5, np.linspace(0.8, 1.6, half.size), 1e-6)
    array.reset_pulse(cells[1::3], 2.0, 2.5, 200e-9)
    out["g1"] = array.conductance()
    out["read"] = array.read_current(cells[:40], 0.2)
    array.advance(37.0)
    out["read_g"] = array.read_conductance(cells, 0.1)
    out["mvm"] = np.asarray(array.mvm(np.linspace(-0.2, 0.2, 2 * 16).reshape(2, 16), tile=1))
    out["mvm_ideal"] = np.asarray(array.mvm(np.full((1, 16), 0.1), tile=0, noise=False))
    out["dc"] = array.dc_sweep(cells[:6], np.r_[np.linspace(0, 1.5, 16), np.linspace(1.5, 0, 16)],
                               1.0, 10e-3)
    array.cycle_pulses(cells[100:140], 1.5, 2.5, 1.3, 3.0, 1e-6, 4e-6, 500)
    out["g2"] = array.conductance()
    out["writes"] = array.writes.copy()
    out["stuck"] = array.stuck.copy()
    out["clock"] = np.array([array.clock])
    out["map"] = array.conductance_map(1)
    return out



def test_every_operation_reproduces_the_recorded_outputs_bit_for_bit() -> None:
    recorded = np.load(GOLDEN)
    now = trace()
    assert set(now) == set(recorded.files)
    for name, value in now.items():
        np.testing.assert_array_equal(value, recorded[name], err_msg=name)


if __name__ == "__main__":
    np.savez_compressed(GOLDEN, **trace())
