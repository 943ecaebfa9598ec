"""Host-driven write-verify books energy as SPEC.md section 6 does: V^2 max(G, 0) t, so a
verify that read noise pushes below 0 S never makes a pulse's energy negative."""

from __future__ import annotations

import pytest

from drivers.fpga import Scheme, WriteVerifyParams
from protocols.write_verify import write_verify_host


class _NoisyHighResistanceCell:
    """HostOps of one cell that always reads below the band, alternately at -G and +G."""

    def __init__(self, g: float) -> None:
        self.g = g
        self.t = 0.0
        self.set_volts: list[float] = []

    def read(self, cell: int, v_read: float, reads: int) -> float:
        self.g = -self.g
        return self.g

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        self.set_volts.append(v_bl)
        self.t += width

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        raise AssertionError("a cell below its band is never RESET")

    def wait(self, seconds: float) -> None:
        self.t += seconds

    def clock(self) -> float:
        return self.t


def test_host_energy_is_never_negative_when_read_noise_is() -> None:
    ops = _NoisyHighResistanceCell(10e-6)
    params = WriteVerifyParams(scheme=Scheme.IGVVA, max_pulses=6, confirm=False)
    (result,) = write_verify_host([0], [40e-6], [44e-6], params, ops)
    assert result["set_pulses"] == 6 and ops.set_volts == [params.v_set] * 6
    expected = 3 * params.v_set**2 * 10e-6 * params.set_width
    assert result["energy"] == pytest.approx(expected, rel=1e-9)
