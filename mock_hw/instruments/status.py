"""IEEE 488.2 status reporting shared by every emulator: error queue, event register, status byte.

Each error or event pushed sets its bit of the Standard Event Status Register (ESR) by its
SCPI class, as IEEE 488.2 section 11.5.1 and SCPI-1999 chapter 21 assign them: -100s command
errors set CME (bit 5), -200s execution errors EXE (bit 4), -300s device-specific errors DDE
(bit 3), -400s query errors QYE (bit 2), -500s power-on PON (bit 7), -600s user request URQ
(bit 6), -700s request control RQC (bit 1), -800s operation complete OPC (bit 0). Positive,
instrument-defined codes set EXE, as the Keithley 2400's +800 "additional command execution
errors" do in its Table B-1 (the emulators' only positive codes are such refusals).

``*ESR?`` reads and clears the ESR. ``*STB?`` reads the status byte: EAV (bit 2) while the
error queue holds an entry, ESB (bit 5) while ESR & ESE is non-zero, and MSS (bit 6) while a
bit enabled by ``*SRE`` is set. MAV (bit 4) is not modelled: an emulator returns every reply
with the line that asked for it. ``*CLS`` empties the error queue and the ESR; the enable
registers keep their values, and ``*RST`` leaves all of this alone (IEEE 488.2 10.32).
"""

from __future__ import annotations

import re

from mock_hw.instruments.errorqueue import ErrorQueue, InstrumentCommandError

OPC, RQC, QYE, DDE, EXE, CME, URQ, PON = (1 << bit for bit in range(8))
EAV, ESB, MSS = 1 << 2, 1 << 5, 1 << 6
_CLASS_BITS = {1: CME, 2: EXE, 3: DDE, 4: QYE, 5: PON, 6: URQ, 7: RQC, 8: OPC}
_NRF = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX = {"#B": 2, "#Q": 8, "#H": 16}
_DIGITS = "0123456789ABCDEF"


def event_bit(code: int) -> int:
    """The ESR bit that error or event ``code`` sets (0 for 0, "No error")."""
    if code > 0:
        return EXE
    return _CLASS_BITS.get(-code // 100, 0) if code < 0 else 0


def parse_register(args: str) -> int:
    """An 8-bit register value: decimal <NRf> rounded, or non-decimal ``#B``/``#Q``/``#H``.

    IEEE 488.2 7.7.2 and 7.7.4 define both forms; the Keithley 2400 manual shows
    ``*ESE #b100100``. Missing: -109; not a number: -104; outside 0..255: -222.
    """
    text = args.strip()
    if not text:
        raise InstrumentCommandError(-109, "Missing parameter")
    radix = _RADIX.get(text[:2].upper())
    number: float
    if radix is not None:
        digits = text[2:].upper()
        if not digits or any(d not in _DIGITS[:radix] for d in digits):
            raise InstrumentCommandError(-104, "Data type error")
        number = int(digits, radix)
    elif _NRF.fullmatch(text):
        number = float(text)
    else:
        raise InstrumentCommandError(-104, "Data type error")
    if not -0.5 < number < 255.5:
        raise InstrumentCommandError(-222, "Data out of range")
    return round(number)


class StatusModel:
    """An instrument's error queue, ESR, and the enable registers ESE and SRE."""

    def __init__(self, queue_capacity: int) -> None:
        self.errors = ErrorQueue(queue_capacity)
        self.event = 0
        self.event_enable = 0
        self.request_enable = 0

    def push(self, code: int, message: str) -> None:
        """Queue an error or event and set its ESR bit (and DDE if the queue overflowed)."""
        stored = self.errors.push(code, message)
        self.event |= event_bit(code) | (event_bit(stored) if stored is not None else 0)

    def operation_complete(self) -> None:
        """``*OPC``: every operation of an emulator is complete when its line returns."""
        self.event |= OPC

    def read_event(self) -> int:
        """``*ESR?``: the ESR, which reading clears."""
        event, self.event = self.event, 0
        return event

    def status_byte(self) -> int:
        """``*STB?``: EAV, ESB and MSS as the module docstring describes."""
        summary = (EAV if len(self.errors) else 0) | (ESB if self.event & self.event_enable else 0)
        return summary | (MSS if summary & self.request_enable else 0)

    def set_event_enable(self, args: str) -> None:
        """``*ESE <mask>``."""
        self.event_enable = parse_register(args)

    def set_request_enable(self, args: str) -> None:
        """``*SRE <mask>``; bit 6 cannot be enabled, it summarises the others (IEEE 488.2
        11.3.2.3)."""
        self.request_enable = parse_register(args) & ~MSS

    def clear(self) -> None:
        """``*CLS``: empty the error queue and the ESR."""
        self.errors.clear()
        self.event = 0
