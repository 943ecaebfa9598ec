"""Protocol transcripts: the exact bytes FpgaLink sends and the emulator answers (SPEC.md)."""

from __future__ import annotations

from drivers.fpga import FpgaLink, LoopbackPort
from mock_hw.fpga import FpgaFirmware

TRANSCRIPT = [
    # SELECT seq 1: count 2, cells 3 and 300
    ("a5 01 01 02 01 00 0c 00 00 00 f1 38 02 00 00 00 03 00 00 00 2c 01 00 00 51 cc",
     "a5 01 02 02 01 00 00 00 00 00 b6 bf b1 2b"),
    # SET_GATE seq 2: tile 1, one row (2) at 1.25 V = f32 0x3FA00000
    ("a5 01 01 04 02 00 0a 00 00 00 ad 70 01 00 01 00 02 00 00 00 a0 3f 6e 9f",
     "a5 01 02 04 02 00 00 00 00 00 73 d0 a4 cd"),
    # ROUTE seq 3: tile 0, to SMU (2), bit line 1, no source line
    ("a5 01 01 03 03 00 0a 00 00 00 49 2c 00 00 02 00 01 00 00 00 01 00 d7 23",
     "a5 01 02 03 03 00 00 00 00 00 97 8c d3 7c"),
    # SAFE_STATE seq 4: empty payload
    ("a5 01 01 08 04 00 00 00 00 00 8c c7 99 28",
     "a5 01 02 08 04 00 00 00 00 00 f9 0f be 36"),
]


def test_switch_matrix_commands_on_the_wire(firmware: FpgaFirmware) -> None:
    exchanged: list[tuple[str, str]] = []

    def record(data: bytes) -> bytes:
        reply = firmware.handle(data)
        exchanged.append((data.hex(" "), reply.hex(" ")))
        return reply

    link = FpgaLink(LoopbackPort(record))
    link.identify()
    exchanged.clear()
    link.select([3, 300])
    link.set_gate(1, [2], 1.25)
    link.route(0, [1], [], to="smu")
    link.safe_state()
    assert exchanged == TRANSCRIPT
