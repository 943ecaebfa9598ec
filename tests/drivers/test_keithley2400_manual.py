"""Keithley 2400 driver against transcripts written from the 2400 Series SourceMeter manual.

Every expected line and reply below comes from the Series 2400 SourceMeter User's Manual
(document 2400S-900-01; page numbers are those of the copies consulted and shift by a few
pages between revisions), not from ``mock_hw``: if the driver and the emulator share a misreading
of the manual, these tests still fail.

Reply formats used (manual, section 18 "FORMat subsystem", "Data elements" and Figure 18-1
"ASCII data format", pp. 18-49 to 18-53): numbers are signed ASCII with seven significant
digits and a two-digit exponent (``+1.000236E+00``); Boolean queries answer ``1``/``0``;
character queries answer the short form (``VOLT``); :SENS:FUNC? answers a quoted function
list (``"CURR:DC"``).
"""

from __future__ import annotations

from typing import Any

import pytest

from drivers.errors import ConfigError, IdentityMismatch, InstrumentError
from drivers.safety import SafetyLimits
from drivers.smu import Keithley2400
from tests.drivers.protocol import Pair, expected_protocol

LIMITS = SafetyLimits(smu_voltage_max=0.5, compliance_current_max=1e-3)

IDN = "KEITHLEY INSTRUMENTS INC., MODEL 2400, 1234567, C32/A02 /S/K"
"""Section 16 "Common Commands", *IDN? (p. 16-3): "KEITHLEY INSTRUMENTS INC., MODEL nnnn,
xxxxxxx, yyyyy/zzzzz /a/d" (model, serial, firmware of digital/display boards, board
revisions)."""

NO_ERROR: Pair = ("SYST:ERR?", '0,"No error"')
"""Section 18 "SYSTem subsystem", :SYSTem:ERRor[:NEXT]? (p. 18-109) reads the oldest entry as
code,"message"; an empty queue reads 0,"No error" (Appendix B, "Status and Error Messages").
The leading colon of a SCPI header is optional (section 14 "Remote Operations", SCPI
command syntax), so the driver's SYST:ERR? is the same command."""


def connect(nplc: str = "1") -> list[Pair]:
    """The constructor's transcript: identity, reset, then source V / measure I set-up.

    *RST and *CLS: section 16 "Common Commands" (pp. 16-2 to 16-4). :SOUR:FUNC VOLT:
    Table 18-7 "SOURce command summary" (:FUNCtion[:MODE]). :SENS:FUNC "CURR" and
    :SENS:CURR:NPLC (0.01 to 10 PLC): Table 18-6 "SENSe command summary" (pp. 18-11, 18-12).
    :FORM:ELEM CURR: Table 18-3 "FORMat command summary" (p. 18-9).
    """
    return [
        ("*IDN?", IDN),
        ("*RST", None),
        ("*CLS", None),
        (":SOUR:FUNC VOLT", None),
        (':SENS:FUNC "CURR"', None),
        (f":SENS:CURR:NPLC {nplc}", None),
        (":FORM:ELEM CURR", None),
        NO_ERROR,
    ]


def test_constructor_checks_identity_resets_and_sets_up_source_v_measure_i() -> None:
    """The whole constructor transcript, with the integration time passed on the wire."""
    with expected_protocol(Keithley2400, connect("0.1"), limits=LIMITS, nplc=0.1):
        pass


def test_constructor_refuses_another_instrument_after_asking_only_its_identity() -> None:
    """A 33500B's identity (33500 guide, *IDN?) is refused before *RST reaches it."""
    idn = [("*IDN?", "Agilent Technologies,33522B,MY52400123,3.03-1.19-2.00-52-00")]
    with (
        pytest.raises(IdentityMismatch, match="33522B"),
        expected_protocol(Keithley2400, idn, limits=LIMITS),
    ):
        pass


@pytest.mark.parametrize(
    ("name", "value", "set_line", "get_line", "reply"),
    [
        # Table 18-7, :SOURce[1]:FUNCtion[:MODE] {VOLTage|CURRent}; query: short form.
        ("source_function", "VOLT", ":SOUR:FUNC VOLT", ":SOUR:FUNC?", "VOLT"),
        ("source_function", "CURR", ":SOUR:FUNC CURR", ":SOUR:FUNC?", "CURR"),
        # "Set amplitude for fixed source", :SOURce[1]:VOLTage[:LEVel][:IMMediate]
        # [:AMPLitude], -210 to 210 V on a 2400 (pp. 18-77, 18-78).
        ("source_voltage", 0.1, ":SOUR:VOLT:LEV 0.1", ":SOUR:VOLT:LEV?", "+1.000000E-01"),
        ("source_voltage", -0.25, ":SOUR:VOLT:LEV -0.25", ":SOUR:VOLT:LEV?",
         "-2.500000E-01"),
        # "Set compliance limit", [:SENSe[1]]:CURRent[:DC]:PROTection[:LEVel] (p. 18-67).
        ("compliance_current", 1e-3, ":SENS:CURR:PROT 0.001", ":SENS:CURR:PROT?",
         "+1.000000E-03"),
        # Table 18-6, [:SENSe[1]]:FUNCtion[:ON] "<function>"; query: quoted list.
        ("sense_function", "CURR", ':SENS:FUNC "CURR"', ":SENS:FUNC?", '"CURR:DC"'),
        # Table 18-6, :CURRent[:DC]:NPLCycles 0.01 to 10 (p. 18-11).
        ("nplc", 10.0, ":SENS:CURR:NPLC 10", ":SENS:CURR:NPLC?", "+1.000000E+01"),
        # "Data elements", :FORMat:ELEMents[:SENSe[1]] <item list> (p. 18-49).
        ("data_elements", "CURR", ":FORM:ELEM CURR", ":FORM:ELEM?", "CURR"),
        # Table 18-4 "OUTPut command summary", :OUTPut[1][:STATe] <b> (p. 18-9).
        ("output_enabled", True, ":OUTP ON", ":OUTP?", "1"),
        ("output_enabled", False, ":OUTP OFF", ":OUTP?", "0"),
    ],
)
def test_setting_set_and_get(
    name: str, value: Any, set_line: str, get_line: str, reply: str
) -> None:
    """Each declared setting writes the manual's command and parses the manual's reply."""
    with expected_protocol(
        Keithley2400, [*connect(), (set_line, None), (get_line, reply)], limits=LIMITS
    ) as smu:
        setattr(smu, name, value)
        assert getattr(smu, name) == value


def test_compliance_range_ends_are_the_manuals() -> None:
    """Section 6 "Compliance limit" (p. 6-2): a 2400 limits current from 1 nA to 1.05 A.

    1 nA goes on the wire; half of it is refused before anything is written.
    """
    limits = SafetyLimits(compliance_current_max=1.05)
    with expected_protocol(
        Keithley2400, [*connect(), (":SENS:CURR:PROT 1e-09", None)], limits=limits
    ) as smu:
        smu.compliance_current = 1e-9
        with pytest.raises(ConfigError, match="outside the instrument's range"):
            smu.compliance_current = 0.5e-9
        with pytest.raises(ConfigError, match="outside the instrument's range"):
            smu.compliance_current = 1.06


def test_apply_voltage_measure_current_output_off() -> None:
    """Compliance first and checked, then level, output on once, error check; one :READ?.

    :READ? (section 17, p. 17-4) with :FORM:ELEM CURR returns the current element alone in
    the ASCII format of Figure 18-1. With auto output-off disabled (the *RST default) the
    output must already be on for :READ? (p. 17-5).
    """
    transcript = [
        *connect(),
        (":SENS:CURR:PROT 0.001", None),
        NO_ERROR,
        (":SOUR:VOLT:LEV 0.1", None),
        (":OUTP ON", None),
        NO_ERROR,
        (":READ?", "+1.234560E-06"),
        # a second level: the output is already on, so no second :OUTP ON
        (":SENS:CURR:PROT 0.0005", None),
        NO_ERROR,
        (":SOUR:VOLT:LEV -0.2", None),
        NO_ERROR,
        (":READ?", "-2.469120E-06"),
        (":OUTP OFF", None),
    ]
    with expected_protocol(Keithley2400, transcript, limits=LIMITS) as smu:
        smu.apply_voltage(0.1, 1e-3)
        assert smu.measure_current() == pytest.approx(1.23456e-6)
        smu.apply_voltage(-0.2, 5e-4)
        assert smu.measure_current() == pytest.approx(-2.46912e-6)
        smu.output_off()


def test_measure_with_output_off_is_refused_before_read() -> None:
    """A :READ? with the output off would fail (p. 17-5); the driver asks nothing."""
    with (
        expected_protocol(Keithley2400, connect(), limits=LIMITS) as smu,
        pytest.raises(ConfigError, match="apply_voltage"),
    ):
        smu.measure_current()


ERRORS = [
    ("SYST:ERR?", '-113,"Undefined header"'),
    ("SYST:ERR?", '-222,"Data out of range"'),
    NO_ERROR,
]
"""Appendix B, Table B-1 "Status and error messages" and "Eliminating common SCPI errors"
(p. B-8): -113 "Undefined header", -222 "Data out of range"; oldest first."""


def test_error_queue_is_read_until_no_error() -> None:
    """:SYST:ERR? is asked until 0,"No error"; codes and unquoted messages, oldest first."""
    with expected_protocol(Keithley2400, [*connect(), *ERRORS], limits=LIMITS) as smu:
        assert smu.error_queue() == [(-113, "Undefined header"), (-222, "Data out of range")]


def test_check_errors_raises_the_oldest_and_names_the_rest() -> None:
    """The first entry becomes the InstrumentError; the rest are named in its message."""
    with expected_protocol(Keithley2400, [*connect(), *ERRORS], limits=LIMITS) as smu:
        with pytest.raises(InstrumentError, match="Data out of range") as info:
            smu.check_errors()
        assert (info.value.code, info.value.message.split(" (")[0]) == (
            -113, "Undefined header")


def test_error_after_apply_voltage_surfaces_at_once() -> None:
    """apply_voltage reads the queue after its writes, so a refused level is not silent."""
    transcript = [
        *connect(),
        (":SENS:CURR:PROT 0.001", None),
        NO_ERROR,
        (":SOUR:VOLT:LEV 0.1", None),
        (":OUTP ON", None),
        ("SYST:ERR?", '-221,"Settings conflict"'),
        NO_ERROR,
    ]
    with expected_protocol(Keithley2400, transcript, limits=LIMITS) as smu:
        with pytest.raises(InstrumentError) as info:
            smu.apply_voltage(0.1, 1e-3)
        assert (info.value.code, info.value.message) == (-221, "Settings conflict")
