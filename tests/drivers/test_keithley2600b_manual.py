"""Keithley 2600B driver against transcripts written from the Series 2600B Reference Manual.

Expected lines and replies come from the Series 2600B System SourceMeter Instrument Reference
Manual (2600BS-901-01; Rev. B, May 2013, section 7 "TSP command reference", unless a page
says Rev. F, August 2021, where that section is section 9), not from ``mock_hw``.

Reply format: a TSP ``print()`` of a number answers in exponent form with six significant
digits, e.g. ``print(count)`` -> ``4.00000e+00`` (errorqueue.count example, p. 7-83); a
``print`` of several values separates them with tabs (errorqueue.next() example, Rev. C
p. 7-92: ``0.00000e+00`` then ``Queue Is Empty``). Enumerated attributes print their number:
smuX.OUTPUT_DCAMPS = 0, smuX.OUTPUT_DCVOLTS = 1 (smuX.source.func, p. 7-221);
smuX.OUTPUT_OFF = 0, smuX.OUTPUT_ON = 1 (smuX.source.output, p. 7-228).
"""

from __future__ import annotations

from typing import Any

import pytest

from drivers.errors import ConfigError, InstrumentError
from drivers.safety import SafetyLimits
from drivers.smu import Keithley2600B
from tests.drivers.protocol import Pair, expected_protocol

LIMITS = SafetyLimits(smu_voltage_max=0.5, compliance_current_max=1e-3)

IDN = "Keithley Instruments Inc., Model 2602B, 1234567, 3.2.1"
"""Appendix D "Common commands", *IDN? (p. D-3): "Keithley Instruments Inc., Model 2600B,
xxxxxxx, yyyyy", the model being localnode.model (script equivalent, same page)."""

IDN_REV_F = "Keithley Instruments, Model 2636B, 7654321, 4.0.2"
"""Rev. F, section 11 "Common commands", *IDN? (p. 11-3): "Keithley Instruments, Model
2600B, xxxxxxx, yyyyy" (no "Inc.")."""

NO_ERROR: Pair = ("print(errorqueue.count)", "0.00000e+00")
"""errorqueue.count (p. 7-83): the number of entries, printed as a number."""


def connect(channel: str = "a", nplc: str = "1", idn: str = IDN) -> list[Pair]:
    """The constructor's transcript: identity, reset, clear errors, source V, NPLC.

    reset() (p. 7-160) returns the instrument to defaults; errorqueue.clear() (p. 7-82);
    smuX.source.func = smuX.OUTPUT_DCVOLTS (p. 7-221); smuX.measure.nplc, 0.001 to 25
    (smuX.measure.nplc, section 7).
    """
    smu = f"smu{channel}"
    return [
        ("*IDN?", idn),
        ("reset()", None),
        ("errorqueue.clear()", None),
        (f"{smu}.source.func = {smu}.OUTPUT_DCVOLTS", None),
        (f"{smu}.measure.nplc = {nplc}", None),
        NO_ERROR,
    ]


@pytest.mark.parametrize("idn", [IDN, IDN_REV_F], ids=["rev_b", "rev_f"])
def test_constructor_transcript_for_both_identity_layouts(idn: str) -> None:
    """Both documented *IDN? layouts are accepted; the rest of the set-up follows."""
    with expected_protocol(Keithley2600B, connect(idn=idn), limits=LIMITS):
        pass


def test_constructor_on_channel_b_with_nplc() -> None:
    """Channel b is addressed as smub (smuX: "smua or smub" on two-channel models)."""
    with expected_protocol(
        Keithley2600B, connect("b", "0.5"), limits=LIMITS, channel="b", nplc=0.5
    ):
        pass


@pytest.mark.parametrize(
    ("name", "value", "set_line", "get_line", "reply"),
    [
        # smuX.source.func (p. 7-221): 0 or smuX.OUTPUT_DCAMPS, 1 or smuX.OUTPUT_DCVOLTS.
        ("source_function", "VOLT", "smua.source.func = smua.OUTPUT_DCVOLTS",
         "print(smua.source.func)", "1.00000e+00"),
        ("source_function", "CURR", "smua.source.func = smua.OUTPUT_DCAMPS",
         "print(smua.source.func)", "0.00000e+00"),
        # smuX.source.levelY (pp. 7-222, 7-223): "smua.source.levelv = 1" sets 1 V.
        ("source_voltage", 0.1, "smua.source.levelv = 0.1", "print(smua.source.levelv)",
         "1.00000e-01"),
        ("source_voltage", -0.25, "smua.source.levelv = -0.25",
         "print(smua.source.levelv)", "-2.50000e-01"),
        # smuX.source.limitY (pp. 7-223, 7-224), Y = i: current compliance.
        ("compliance_current", 1e-3, "smua.source.limiti = 0.001",
         "print(smua.source.limiti)", "1.00000e-03"),
        # smuX.measure.nplc: 0.001 to 25 power-line cycles.
        ("nplc", 0.5, "smua.measure.nplc = 0.5", "print(smua.measure.nplc)",
         "5.00000e-01"),
        # smuX.source.output (p. 7-228): 0 or smuX.OUTPUT_OFF, 1 or smuX.OUTPUT_ON.
        ("output_enabled", True, "smua.source.output = smua.OUTPUT_ON",
         "print(smua.source.output)", "1.00000e+00"),
        ("output_enabled", False, "smua.source.output = smua.OUTPUT_OFF",
         "print(smua.source.output)", "0.00000e+00"),
    ],
)
def test_setting_set_and_get(
    name: str, value: Any, set_line: str, get_line: str, reply: str
) -> None:
    """Each declared setting writes the manual's assignment and parses the printed value."""
    with expected_protocol(
        Keithley2600B, [*connect(), (set_line, None), (get_line, reply)], limits=LIMITS
    ) as smu:
        setattr(smu, name, value)
        assert getattr(smu, name) == value


def test_apply_voltage_measure_current_output_off() -> None:
    """Limit first and checked, then level, output on once, error count; one reading.

    smuX.measure.Y() (p. 7-213) returns one reading in amperes for Y = i when no buffer is
    given; print() shows it in the six-digit exponent form.
    """
    transcript = [
        *connect(),
        ("smua.source.limiti = 0.001", None),
        NO_ERROR,
        ("smua.source.levelv = 0.1", None),
        ("smua.source.output = smua.OUTPUT_ON", None),
        NO_ERROR,
        ("print(smua.measure.i())", "1.23456e-06"),
        ("smua.source.limiti = 0.0005", None),
        NO_ERROR,
        ("smua.source.levelv = -0.2", None),
        NO_ERROR,
        ("print(smua.measure.i())", "-2.46912e-06"),
        ("smua.source.output = smua.OUTPUT_OFF", None),
    ]
    with expected_protocol(Keithley2600B, transcript, limits=LIMITS) as smu:
        smu.apply_voltage(0.1, 1e-3)
        assert smu.measure_current() == pytest.approx(1.23456e-6)
        smu.apply_voltage(-0.2, 5e-4)
        assert smu.measure_current() == pytest.approx(-2.46912e-6)
        smu.output_off()


RUNTIME_ERROR = ("-2.86000e+02\tTSP Runtime error at line 1: attempt to index field 'sauce' "
                 "(a nil value)\t2.00000e+01\t1.00000e+00")
SYNTAX_ERROR = ("-2.85000e+02\tTSP Syntax error at line 1: unexpected symbol near `='"
                "\t2.00000e+01\t1.00000e+00")
"""print(errorqueue.next()) prints errorCode, message, severity, errorNode separated by tabs
(errorqueue.next(), pp. 7-83, 7-84; severity 20 = RECOVERABLE, node 1). Section 8
"Troubleshooting guide", "Effects of errors on scripts" (p. 8-2): -286 is a TSP run-time
error, -285 a syntax error; the message texts after the code are illustrative."""

ERRORS: list[Pair] = [
    ("print(errorqueue.count)", "2.00000e+00"),
    ("print(errorqueue.next())", RUNTIME_ERROR),
    ("print(errorqueue.next())", SYNTAX_ERROR),
]


def test_error_queue_reads_count_then_that_many_records() -> None:
    """errorqueue.count, then one errorqueue.next() per entry; code and message kept."""
    with expected_protocol(Keithley2600B, [*connect(), *ERRORS], limits=LIMITS) as smu:
        assert smu.error_queue() == [
            (-286, "TSP Runtime error at line 1: attempt to index field 'sauce' (a nil value)"),
            (-285, "TSP Syntax error at line 1: unexpected symbol near `='"),
        ]


def test_empty_error_queue_reads_no_record() -> None:
    """A count of 0 means nothing to read: errorqueue.next() is not asked."""
    with expected_protocol(Keithley2600B, [*connect(), NO_ERROR], limits=LIMITS) as smu:
        assert smu.error_queue() == []


def test_check_errors_raises_the_oldest_tsp_error() -> None:
    """The oldest record becomes the InstrumentError; the other is named in its message."""
    with expected_protocol(Keithley2600B, [*connect(), *ERRORS], limits=LIMITS) as smu:
        with pytest.raises(InstrumentError, match="-285") as info:
            smu.check_errors()
        assert info.value.code == -286


def test_limit_below_a_2602b_minimum_is_refused_before_sending() -> None:
    """A 2602B cannot take a 5 nA current limit: refuse it, and write nothing."""
    limits = SafetyLimits(compliance_current_max=1e-3)
    with (
        expected_protocol(Keithley2600B, connect(), limits=limits) as smu,
        pytest.raises(ConfigError),
    ):
        smu.compliance_current = 5e-9


def test_a_2636b_takes_the_5_na_limit_a_2602b_refuses() -> None:
    """The 2634B/2635B/2636B limit goes down to 100 pA (same page): 5 nA is written."""
    limits = SafetyLimits(compliance_current_max=1e-3)
    with expected_protocol(Keithley2600B, [*connect(idn=IDN_REV_F),
                                           ("smua.source.limiti = 5e-09", None)],
                           limits=limits) as smu:
        smu.compliance_current = 5e-9
    assert "1e-10 to 1.5 on 2634B/2635B/2636B" in Keithley2600B.compliance_current.__doc__
