"""Link faults: the client recovers, and every requested pulse is applied exactly once."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.fpga import FpgaLink, LinkTimeout, LoopbackPort, WriteVerifyParams
from drivers.fpga.codec import Command
from mock_hw.fpga import FaultInjection, FaultyLine, FpgaFirmware
from tests.interlock import lax

FAULTS = {
    "dropped requests": FaultInjection(drop_request=0.3, seed=1),
    "dropped replies": FaultInjection(drop_reply=0.3, seed=2),
    "corrupted requests": FaultInjection(corrupt_request=0.3, seed=3),
    "corrupted replies": FaultInjection(corrupt_reply=0.3, seed=4),
    "late replies": FaultInjection(delay_reply=0.3, seed=5),
    "everything": FaultInjection(drop_request=0.1, drop_reply=0.1, corrupt_request=0.1,
                                 corrupt_reply=0.1, delay_reply=0.1, bit_flips=3, seed=6),
}


def _program_in_batches(link: FpgaLink, batches: int) -> np.ndarray:
    params = WriteVerifyParams(max_pulses=30)
    results = [link.write_verify(np.arange(b * 16, b * 16 + 16), 40e-6, 44e-6, params)
               for b in range(batches)]
    return np.concatenate(results)


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_retries_never_apply_a_pulse_twice(firmware: FpgaFirmware,
                                           faults: FaultInjection) -> None:
    line = FaultyLine(firmware.handle, faults)
    link = FpgaLink(LoopbackPort(line), lax(), retries=8)
    link.identify()
    results = _program_in_batches(link, batches=12)
    assert link.retries > 0
    assert sum(vars(line.counts).values()) > 0
    # Every pulse the firmware reported is a pulse the array received, and no more.
    assert firmware.array.writes.sum() == results["pulses"].sum()
    assert firmware.executed[Command.WRITE_VERIFY] == 12
    assert results["success"].mean() > 0.9


def test_lost_reply_is_answered_from_the_cache(firmware: FpgaFirmware) -> None:
    def lose_write_verify_replies(data: bytes) -> bytes:
        reply = firmware.handle(data)
        return b"" if data[3] == Command.WRITE_VERIFY else reply

    link = FpgaLink(LoopbackPort(lose_write_verify_replies), lax(), retries=2)
    with pytest.raises(LinkTimeout, match="WRITE_VERIFY"):
        link.write_verify(np.arange(8), 40e-6, 44e-6, WriteVerifyParams())
    assert firmware.array.writes.sum() > 0
    assert firmware.executed[Command.WRITE_VERIFY] == 1
    assert firmware.replays == 2


def test_without_retries_a_fault_surfaces(firmware: FpgaFirmware) -> None:
    link = FpgaLink(LoopbackPort(FaultyLine(firmware.handle, FaultInjection(drop_request=1.0))),
                    lax(), retries=0)
    with pytest.raises(LinkTimeout, match="IDENTIFY"):
        link.identify()
    assert link.round_trips == 1 and link.retries == 0
