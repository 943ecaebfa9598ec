"""Keithley 2400-series SourceMeter over SCPI, used as a voltage source measuring current.

Commands follow the 2400 Series SourceMeter User's Manual (SCPI command reference):
``:SOUR:FUNC VOLT``, ``:SOUR:VOLT:LEV``, ``:SENS:FUNC "CURR"``, ``:SENS:CURR:PROT``,
``:SENS:CURR:NPLC``, ``:FORM:ELEM CURR``, ``:OUTP ON|OFF``, ``:READ?``, ``:SYST:ERR?``.
"""

from __future__ import annotations

from drivers.instrument import (
    ScpiInstrument,
    StrictRange,
    control,
    measurement,
    parse_bool,
    parse_word,
)
from drivers.safety import Interlock
from drivers.smu.base import VoltageSourceMeter
from drivers.transport import LineTransport


class Keithley2400(ScpiInstrument, VoltageSourceMeter):
    """Keithley 2400/2401/2410-series SMU sourcing voltage and measuring current."""

    model = "Keithley 2400"
    identity_pattern = r"KEITHLEY INSTRUMENTS.*MODEL 24\d\d"

    source_function = control(
        ":SOUR:FUNC?", ":SOUR:FUNC {value}", "the source function",
        values={"VOLT": "VOLT", "CURR": "CURR"}, parse=parse_word,
    )
    source_voltage = control(
        ":SOUR:VOLT:LEV?", ":SOUR:VOLT:LEV {value}", "the source voltage",
        validator=StrictRange(-210, 210), units="V",
        level="smu",
    )
    compliance_current = control(
        ":SENS:CURR:PROT?", ":SENS:CURR:PROT {value}", "the current compliance",
        validator=StrictRange(1e-9, 1.05), units="A",
        safety=Interlock.check_compliance,
    )
    sense_function = control(
        ":SENS:FUNC?", ':SENS:FUNC "{value}"', "the measured function",
        values={"CURR": "CURR", "VOLT": "VOLT"},
        parse=lambda reply: parse_word(reply).split(":")[0],
    )
    nplc = control(
        ":SENS:CURR:NPLC?", ":SENS:CURR:NPLC {value}", "the current integration time",
        validator=StrictRange(0.01, 10), units="power-line cycles",
    )
    data_elements = control(
        ":FORM:ELEM?", ":FORM:ELEM {value}", "the reading's data element",
        values={"CURR": "CURR", "VOLT": "VOLT"}, parse=parse_word,
    )
    output_enabled = control(
        ":OUTP?", ":OUTP {value}", "whether the output is on",
        values={True: "ON", False: "OFF"}, parse=parse_bool,
    )
    current = measurement(":READ?", "one current reading", units="A")

    def __init__(
        self, transport: LineTransport, interlock: Interlock, *, nplc: float = 1.0
    ) -> None:
        """Check the identity, reset, and set up sourcing V / measuring I at ``nplc``."""
        super().__init__(transport, interlock)
        self.verify_identity()
        self.write("*RST")
        self.write("*CLS")
        self.source_function = "VOLT"
        self.sense_function = "CURR"
        self.nplc = nplc
        self.data_elements = "CURR"
        self.check_errors()
