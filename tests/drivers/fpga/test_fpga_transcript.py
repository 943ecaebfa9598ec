"""Protocol transcripts: the exact bytes FpgaLink sends and the emulator answers (SPEC.md)."""

from __future__ import annotations

from drivers.fpga import FpgaLink, LoopbackPort
from mock_hw.fpga import FpgaFirmware
from tests.interlock import lax

TRANSCRIPT = [
    # SELECT seq 1: count 2, cells 3 and 300
    ("a5 02 01 02 01 00 0c 00 00 00 b5 15 02 00 00 00 03 00 00 00 2c 01 00 00 aa d3",
     "a5 02 02 02 01 00 00 00 00 00 f2 92 8c 67"),
    # SET_GATE seq 2: tile 1, one row (2) at 1.25 V = f32 0x3FA00000
    ("a5 02 01 04 02 00 0a 00 00 00 e9 5d 01 00 01 00 02 00 00 00 a0 3f 3b a0",
     "a5 02 02 04 02 00 00 00 00 00 37 fd 99 81"),
    # ROUTE seq 3: tile 0, to SMU (2), bit line 1, no source line
    ("a5 02 01 03 03 00 0a 00 00 00 0d 01 00 00 02 00 01 00 00 00 01 00 82 1c",
     "a5 02 02 03 03 00 00 00 00 00 d3 a1 ee 30"),
    # SAFE_STATE seq 4: empty payload
    ("a5 02 01 08 04 00 00 00 00 00 c8 ea a4 64",
     "a5 02 02 08 04 00 00 00 00 00 bd 22 83 7a"),
]


def test_switch_matrix_commands_on_the_wire(firmware: FpgaFirmware) -> None:
    exchanged: list[tuple[str, str]] = []

    def record(data: bytes) -> bytes:
        reply = firmware.handle(data)
        exchanged.append((data.hex(" "), reply.hex(" ")))
        return reply

    link = FpgaLink(LoopbackPort(record), lax())
    link.identify()
    exchanged.clear()
    link.select([3, 300])
    link.set_gate(1, [2], 1.25)
    link.route(0, [1], [], to="smu")
    link.safe_state()
    assert exchanged == TRANSCRIPT
