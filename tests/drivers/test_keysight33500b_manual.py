"""Keysight 33500B driver against transcripts written from the 33500 Series guide.

Expected lines and replies come from the Agilent/Keysight 33500 Series Operating and Service
Guide (the SCPI reference is its "SCPI Programming Reference" chapter; page numbers are
those of the Agilent edition), not from ``mock_hw``. Where a page is not given, the section
is cited by its command heading.

Reply formats used: numeric queries answer in the 16-significant-digit form of the guide's
"Typical Return" columns, e.g. TRIGger[1|2]:TIMer? -> ``+3.000000000000000E-01`` (TRIGger
subsystem, p. 318); Boolean queries (OUTPut, BURSt:STATe) answer ``0``/``1``; enumerated
queries answer the short form (``PULS``, ``TRIG``, ``BUS``, ``NORM``/``INV``); *OPC? answers
``1`` once the burst is complete (p. 318); SYSTem:ERRor? answers code,"message" and
``+0,"No error"`` when the queue is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from drivers.errors import ConfigError, IdentityMismatch, InstrumentError
from drivers.pulse import Keysight33500B
from drivers.safety import SafetyLimits
from tests.drivers.protocol import Pair, expected_protocol, script_of

LIMITS = SafetyLimits(pulse_voltage_max=3.0, pulse_width_min=20e-9, pulse_width_max=10e-6)

IDN = "Agilent Technologies,33522B,MY52400123,3.03-1.19-2.00-52-00"
"""*IDN? (IEEE 488.2 common commands): manufacturer,model,serial,firmware revisions."""

NO_ERROR: Pair = ("SYST:ERR?", '+0,"No error"')
"""SYSTem:ERRor? reads and removes the oldest error; an empty queue reads +0,"No error"."""


def connect(ch: int = 1) -> list[Pair]:
    """The constructor's transcript: identity, reset, then one pulse per bus trigger.

    *RST, *CLS: IEEE 488.2 common commands. FUNCtion PULSe and FUNCtion:PULSe:PERiod:
    "Pulse Waveforms" (pp. 68, 69). OUTPut[1|2]:LOAD INFinity: "Output Termination" (p. 61).
    The order follows the BURSt subsystem's recipe (pp. 176, 177; and the guide's "BURSt
    Subsystem" example): BURSt:MODE TRIGgered, BURSt:NCYCles 1, the trigger source
    (TRIGger[1|2]:SOURce BUS, answered by *TRG), and BURSt:STATe ON last.
    The period is the driver's: 10 x the longest allowed pulse, at least 1 ms.
    """
    return [
        ("*IDN?", IDN),
        ("*RST", None),
        ("*CLS", None),
        (f"SOUR{ch}:FUNC PULS", None),
        (f"OUTP{ch}:LOAD INF", None),
        (f"SOUR{ch}:FUNC:PULS:PER 0.001", None),
        (f"SOUR{ch}:BURS:MODE TRIG", None),
        (f"SOUR{ch}:BURS:NCYC 1", None),
        (f"TRIG{ch}:SOUR BUS", None),
        (f"SOUR{ch}:BURS:STAT ON", None),
        NO_ERROR,
    ]


@pytest.mark.parametrize("ch", [1, 2])
def test_constructor_arms_one_pulse_per_bus_trigger(ch: int) -> None:
    """The whole constructor transcript, on either channel of a two-channel model."""
    with expected_protocol(Keysight33500B, connect(ch), limits=LIMITS, channel=ch):
        pass


def test_constructor_refuses_an_smu_after_asking_only_its_identity() -> None:
    """A 2400's *IDN? reply is refused before *RST reaches it."""
    idn = [("*IDN?", "KEITHLEY INSTRUMENTS INC., MODEL 2400, 1234567, C32/A02 /S/K")]
    with (
        pytest.raises(IdentityMismatch, match="MODEL 2400"),
        expected_protocol(Keysight33500B, idn, limits=LIMITS),
    ):
        pass


@pytest.mark.parametrize(
    ("name", "value", "set_line", "get_line", "reply"),
    [
        # [SOURce[1|2]:]FUNCtion {SINusoid|SQUare|...|PULSe|...}; query: short form.
        ("function", "PULS", "SOUR1:FUNC PULS", "SOUR1:FUNC?", "PULS"),
        # OUTPut[1|2]:LOAD {<ohms>|INFinity} (p. 61); INFinity reads back as 9.9E+37.
        ("load", "INF", "OUTP1:LOAD INF", "OUTP1:LOAD?", "+9.900000000000000E+37"),
        ("load", "50", "OUTP1:LOAD 50", "OUTP1:LOAD?", "+5.000000000000000E+01"),
        # [SOURce[1|2]:]VOLTage:HIGH / VOLTage:LOW, volts at the set load.
        ("high_level", 1.5, "SOUR1:VOLT:HIGH 1.5", "SOUR1:VOLT:HIGH?",
         "+1.500000000000000E+00"),
        ("low_level", -0.5, "SOUR1:VOLT:LOW -0.5", "SOUR1:VOLT:LOW?",
         "-5.000000000000000E-01"),
        # OUTPut[1|2]:POLarity {NORMal|INVerted}.
        ("polarity", "INV", "OUTP1:POL INV", "OUTP1:POL?", "INV"),
        ("polarity", "NORM", "OUTP1:POL NORM", "OUTP1:POL?", "NORM"),
        # [SOURce[1|2]:]FUNCtion:PULSe:PERiod and :WIDTh, 16 ns to 1e6 s (p. 69).
        ("pulse_period", 1e-3, "SOUR1:FUNC:PULS:PER 0.001", "SOUR1:FUNC:PULS:PER?",
         "+1.000000000000000E-03"),
        ("pulse_width", 1e-6, "SOUR1:FUNC:PULS:WIDT 1e-06", "SOUR1:FUNC:PULS:WIDT?",
         "+1.000000000000000E-06"),
        # FUNCtion:PULSe:TRANsition[:BOTH] sets both edges; :LEADing? reads one back
        # (minimum edge 8.4 ns, p. 69).
        ("edge_time", 2e-8, "SOUR1:FUNC:PULS:TRAN 2e-08", "SOUR1:FUNC:PULS:TRAN:LEAD?",
         "+2.000000000000000E-08"),
        # [SOURce[1|2]:]BURSt:STATe, :MODE {TRIGgered|GATed}, :NCYCles (pp. 176-178).
        ("burst_enabled", True, "SOUR1:BURS:STAT ON", "SOUR1:BURS:STAT?", "1"),
        ("burst_mode", "TRIG", "SOUR1:BURS:MODE TRIG", "SOUR1:BURS:MODE?", "TRIG"),
        ("burst_mode", "GAT", "SOUR1:BURS:MODE GAT", "SOUR1:BURS:MODE?", "GAT"),
        ("burst_cycles", 1, "SOUR1:BURS:NCYC 1", "SOUR1:BURS:NCYC?",
         "+1.000000000000000E+00"),
        # TRIGger[1|2]:SOURce {IMMediate|EXTernal|TIMer|BUS} (p. 317).
        ("trigger_source", "BUS", "TRIG1:SOUR BUS", "TRIG1:SOUR?", "BUS"),
        # OUTPut[1|2] {ON|OFF}; query 0/1.
        ("output_enabled", True, "OUTP1 ON", "OUTP1?", "1"),
        ("output_enabled", False, "OUTP1 OFF", "OUTP1?", "0"),
    ],
)
def test_setting_set_and_get(
    name: str, value: Any, set_line: str, get_line: str, reply: str
) -> None:
    """Each declared setting writes the guide's command and parses the guide's reply."""
    with expected_protocol(
        Keysight33500B, [*connect(), (set_line, None), (get_line, reply)], limits=LIMITS
    ) as pulser:
        setattr(pulser, name, value)
        assert getattr(pulser, name) == value


@dataclass
class Output:
    """The channel's output state, followed line by line.

    After *RST the output is off, normal polarity, 100 mVpp about 0 V into 50 ohm (APPLy
    subsystem defaults, p. 167); OUTPut:LOAD INF doubles the displayed levels to +-0.1 V
    (p. 61). OUTPut:POLarity INVerted mirrors the waveform about its offset (high+low)/2.
    That a pulse rests at its low level between bursts in normal polarity (so at its high
    level inverted) is the driver's own model, stated in drivers/pulse/keysight33500b.py.
    """

    on: bool = False
    inverted: bool = False
    high: float = 0.1
    low: float = -0.1

    def apply(self, line: str) -> None:
        """Follow one written line (channel 1)."""
        header, _, argument = line.partition(" ")
        if header == "OUTP1":
            self.on = argument == "ON"
        elif header == "OUTP1:POL":
            self.inverted = argument == "INV"
        elif header == "SOUR1:VOLT:HIGH":
            self.high = float(argument)
        elif header == "SOUR1:VOLT:LOW":
            self.low = float(argument)

    @property
    def resting(self) -> float:
        """The level the output rests at between pulses (V)."""
        return self.high if self.inverted else self.low


def levels_stay_ordered(lines: list[str]) -> bool:
    """True if the high level stays above the low level after every line."""
    state = Output()
    for line in lines:
        state.apply(line)
        if not state.high > state.low:
            return False
    return True


POSITIVE_FROM_RESET: list[Pair] = [
    ("SOUR1:VOLT:LOW 0", None),
    ("SOUR1:VOLT:HIGH 2", None),
    ("OUTP1:POL NORM", None),
    ("SOUR1:FUNC:PULS:WIDT 1e-06", None),
    ("SOUR1:FUNC:PULS:TRAN 2e-08", None),
    NO_ERROR,
]
NEGATIVE_AFTER_POSITIVE: list[Pair] = [
    ("SOUR1:VOLT:LOW -1.5", None),
    ("SOUR1:VOLT:HIGH 0", None),
    ("OUTP1:POL INV", None),
    ("SOUR1:FUNC:PULS:WIDT 5e-07", None),
    NO_ERROR,
]
POSITIVE_AFTER_NEGATIVE: list[Pair] = [
    ("SOUR1:VOLT:HIGH 2.5", None),
    ("SOUR1:VOLT:LOW 0", None),
    ("OUTP1:POL NORM", None),
    ("SOUR1:FUNC:PULS:WIDT 1e-06", None),
    NO_ERROR,
]
"""A positive pulse is 0 V -> +A in normal polarity; a negative one is the -|A|..0 V pulse
inverted about its offset, so both rest at 0 V. The two levels are written in the order that
keeps VOLTage:HIGH above VOLTage:LOW at each step, then the polarity, width and edges."""


def test_configure_pulse_level_order_and_polarity() -> None:
    """Positive, negative, positive again: levels, polarity, width, edges, error check."""
    transcript = [*connect(), *POSITIVE_FROM_RESET, *NEGATIVE_AFTER_POSITIVE,
                  *POSITIVE_AFTER_NEGATIVE]
    with expected_protocol(Keysight33500B, transcript, limits=LIMITS) as pulser:
        pulser.configure_pulse(2.0, 1e-6, edge_time=20e-9)
        pulser.configure_pulse(-1.5, 0.5e-6)
        pulser.configure_pulse(2.5, 1e-6)
        assert levels_stay_ordered(script_of(pulser).sent)


def test_negative_pulse_from_reset() -> None:
    """From the reset levels (+-0.1 V at high impedance) the low level goes first."""
    transcript = [
        *connect(),
        ("SOUR1:VOLT:LOW -1.5", None),
        ("SOUR1:VOLT:HIGH 0", None),
        ("OUTP1:POL INV", None),
        ("SOUR1:FUNC:PULS:WIDT 1e-06", None),
        NO_ERROR,
    ]
    with expected_protocol(Keysight33500B, transcript, limits=LIMITS) as pulser:
        pulser.configure_pulse(-1.5, 1e-6)
        assert levels_stay_ordered(script_of(pulser).sent)


def test_fire_turns_the_output_on_once_then_triggers_and_waits() -> None:
    """OUTPut ON the first time only, then *TRG (BUS source) and *OPC? -> 1 (p. 318)."""
    fire_first = [("OUTP1 ON", None), ("*TRG", None), ("*OPC?", "1"), NO_ERROR]
    fire_again = [("*TRG", None), ("*OPC?", "1"), NO_ERROR]
    transcript = [*connect(), *POSITIVE_FROM_RESET, *fire_first, *fire_again,
                  ("OUTP1 OFF", None)]
    with expected_protocol(Keysight33500B, transcript, limits=LIMITS) as pulser:
        pulser.configure_pulse(2.0, 1e-6, edge_time=20e-9)
        pulser.fire()
        pulser.fire()
        pulser.output_off()


def test_fire_before_configure_sends_nothing() -> None:
    """Without a configured pulse, fire() is refused before any line is written."""
    with (
        expected_protocol(Keysight33500B, connect(), limits=LIMITS) as pulser,
        pytest.raises(ConfigError, match="configure_pulse"),
    ):
        pulser.fire()


def test_error_queue_is_read_until_no_error() -> None:
    """SYSTem:ERRor? until +0,"No error"; -113 "Undefined header", -222 "Data out of range"
    are SCPI standard codes (the guide's "SCPI Error Messages")."""
    errors = [("SYST:ERR?", '-113,"Undefined header"'), ("SYST:ERR?", '-222,"Data out of range"'),
              NO_ERROR]
    with expected_protocol(Keysight33500B, [*connect(), *errors], limits=LIMITS) as pulser:
        assert pulser.error_queue() == [(-113, "Undefined header"),
                                        (-222, "Data out of range")]


def test_ignored_trigger_is_raised_after_fire() -> None:
    """A *TRG the trigger system ignores queues -211 "Trigger ignored"; fire() raises it."""
    transcript = [*connect(), *POSITIVE_FROM_RESET, ("OUTP1 ON", None), ("*TRG", None),
                  ("*OPC?", "1"), ("SYST:ERR?", '-211,"Trigger ignored"'), NO_ERROR]
    with expected_protocol(Keysight33500B, transcript, limits=LIMITS) as pulser:
        pulser.configure_pulse(2.0, 1e-6, edge_time=20e-9)
        with pytest.raises(InstrumentError) as info:
            pulser.fire()
        assert (info.value.code, info.value.message) == (-211, "Trigger ignored")


def test_interlock_knows_the_reset_level_at_high_impedance() -> None:
    """After the constructor the interlock assumes the pulse output may be at 0.1 V: *RST
    leaves 100 mVpp about 0 V into 50 ohm (APPLy defaults, p. 167), which OUTPut:LOAD INF
    shows as, and the chip's high impedance sees as, +-0.1 V (Output Termination, p. 61)."""
    with expected_protocol(Keysight33500B, connect(), limits=LIMITS) as pulser:
        assert pulser.interlock.level("pulse") == pytest.approx(0.1)


def test_output_rests_at_zero_while_a_pulse_is_reshaped_with_the_output_on() -> None:
    """After a pulse has fired, reshaping to the other sign never rests off 0 V: the driver
    turns the output off before it writes levels and polarity (the output idles at its low
    level between bursts, and OUTPut:POLarity INVerts about the offset)."""
    transcript = [*connect(), *POSITIVE_FROM_RESET, ("OUTP1 ON", None), ("*TRG", None),
                  ("*OPC?", "1"), NO_ERROR, ("OUTP1 OFF", None), *NEGATIVE_AFTER_POSITIVE,
                  *POSITIVE_AFTER_NEGATIVE]
    with expected_protocol(Keysight33500B, transcript, limits=LIMITS) as pulser:
        pulser.configure_pulse(2.0, 1e-6, edge_time=20e-9)
        pulser.fire()
        pulser.configure_pulse(-1.5, 0.5e-6)
        pulser.configure_pulse(2.5, 1e-6)
        state = Output()
        resting = []
        for line in script_of(pulser).sent:
            state.apply(line)
            if state.on:
                resting.append((line, state.resting))
        assert all(level == 0 for _, level in resting), resting
