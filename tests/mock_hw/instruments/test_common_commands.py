"""IEEE 488.2 common commands and the status model every emulator shares."""

from __future__ import annotations

import pytest

from mock_hw.instruments import (
    Keithley2400Emulator,
    Keithley2600BEmulator,
    Keysight33500BEmulator,
)

SCPI = [Keithley2400Emulator, Keysight33500BEmulator]
CME, EXE, DDE, OPC = 32, 16, 8, 1


@pytest.fixture(params=SCPI, ids=["2400", "33500B"])
def scpi(request, bench):
    return request.param(bench)


def number(scpi, value: int) -> str:
    """``value`` as the instrument writes integers: 2400 ``4``, 33500B ``+4``."""
    return f"{value:+d}" if isinstance(scpi, Keysight33500BEmulator) else str(value)


def test_esr_bits_follow_the_error_class_and_reading_clears(scpi):
    assert scpi.handle("*ESR?") == number(scpi, 0)
    scpi.handle("BOGUS")  # -113, a command error
    assert scpi.handle("*ESR?") == number(scpi, CME)
    assert scpi.handle("*ESR?") == number(scpi, 0)
    scpi.handle(":OUTP MAYBE")  # -224, an execution error
    scpi.handle("*OPC")
    assert scpi.handle("*ESR?") == number(scpi, EXE | OPC)
    for _ in range(25):
        scpi.handle("BOGUS")  # ends in -350 "Queue overflow", a device-specific error
    assert scpi.handle("*ESR?") == number(scpi, CME | DDE)


def test_stb_reports_the_error_queue_and_the_enabled_summaries(scpi):
    assert scpi.handle("*STB?") == number(scpi, 0)
    scpi.handle("BOGUS")
    assert scpi.handle("*STB?") == number(scpi, 4)  # EAV: the error queue is not empty
    scpi.handle("*ESE 32;*SRE 4")
    assert scpi.handle("*ESE?;*SRE?") == f"{number(scpi, 32)};{number(scpi, 4)}"
    assert scpi.handle("*STB?") == number(scpi, 4 | 32 | 64)  # ESB (CME enabled), MSS
    scpi.handle(":SYST:ERR?")
    assert scpi.handle("*STB?") == number(scpi, 32)  # no MSS: only EAV is enabled
    scpi.handle("*ESR?")
    assert scpi.handle("*STB?") == number(scpi, 0)
    scpi.handle("*SRE 255")
    assert scpi.handle("*SRE?") == number(scpi, 191)  # bit 6 cannot be enabled


def test_cls_clears_queue_and_esr_but_not_the_enables(scpi, read_errors):
    scpi.handle("*ESE 60")
    for line in ("BOGUS", ":OUTP MAYBE", "BOGUS"):
        scpi.handle(line)
    assert scpi.handle(":SYST:ERR:COUN?") == number(scpi, 3)
    assert scpi.handle("*CLS") is None
    assert scpi.handle(":SYST:ERR:COUN?;*ESR?;*ESE?") == ";".join(
        number(scpi, v) for v in (0, 0, 60))
    assert read_errors(scpi) == []


def test_tst_opc_wai_and_register_parameters(scpi, read_errors):
    assert scpi.handle("*TST?") == number(scpi, 0)
    assert scpi.handle("*OPC?") == "1"
    assert scpi.handle("*WAI") is None
    scpi.handle("*ESE #B100100")  # non-decimal numeric, as the 2400 manual shows
    assert scpi.handle("*ESE?") == number(scpi, 36)
    assert scpi.handle("*ese #h24;*ESE 3.6;*ESE?") == number(scpi, 4)
    for line in ("*ESE", "*ESE 256", "*ESE -1", "*ESE abc", "*ESE #H1G", "*ESE? 1"):
        scpi.handle(line)
    assert read_errors(scpi) == [(-109, "Missing parameter"), (-222, "Data out of range"),
                                 (-222, "Data out of range"), (-104, "Data type error"),
                                 (-104, "Data type error"), (-108, "Parameter not allowed")]
    assert scpi.handle("*ESE?") == number(scpi, 4)


def test_2600b_answers_the_common_commands_of_its_manual(bench):
    smu = Keithley2600BEmulator(bench)
    assert smu.handle("*ESR?") == "0"
    smu.handle("smua.source.levelv 1")  # -285, TSP errors are execution errors
    assert smu.handle("*esr?") == str(EXE)
    assert smu.handle("*ESR?") == "0"
    assert smu.handle("*STB?") == "4"
    smu.handle("*ESE 16")
    smu.handle("*SRE 36")
    smu.handle("smua.source.limiti = 0")
    assert (smu.handle("*ESE?"), smu.handle("*SRE?")) == ("16", "36")
    assert smu.handle("*STB?") == str(4 | 32 | 64)
    for line in ("*OPC", "*WAI", "*TRG"):
        assert smu.handle(line) is None
    assert (smu.handle("*TST?"), smu.handle("*OPC?")) == ("0", "1")
    assert smu.handle("*ESR?") == str(EXE | OPC)
    assert smu.handle("*CLS") is None
    assert smu.handle("print(errorqueue.count)") == "0.00000e+00"
    assert (smu.handle("*ESR?"), smu.handle("*STB?")) == ("0", "0")


def test_2600b_common_commands_must_be_sent_alone(bench, read_errors):
    smu = Keithley2600BEmulator(bench)
    assert smu.handle("print(1); *IDN?") == "1.00000e+00"
    assert smu.handle("*RST; print(2)") is None
    assert [(code, message.split(": ")[1]) for code, message in read_errors(smu)] == [
        (-285, "unexpected symbol near `*IDN?'"), (-285, "unexpected symbol near `*RST'")]
