"""Keithley 2400-series SourceMeter over SCPI, used as a voltage source measuring current.

Commands follow the 2400 Series SourceMeter User's Manual (SCPI command reference):
``:SOUR:FUNC VOLT``, ``:SOUR:VOLT:LEV``, ``:SENS:FUNC "CURR"``, ``:SENS:CURR:PROT``,
``:SENS:CURR:NPLC``, ``:FORM:ELEM CURR``, ``:OUTP ON|OFF``, ``:READ?``, ``:SYST:ERR?``.
Sweeps are custom (list) sweeps, section 10 "Sweep Operation": ``:SOUR:VOLT:MODE LIST``, the
levels in ``:SOUR:LIST:VOLT`` and ``:SOUR:LIST:VOLT:APP`` commands of at most 100 values,
``:TRIG:COUN`` equal to the points (at most 2500, the reading buffer), ``:SOUR:DEL`` before
each measurement, and one ``:READ?`` that returns every point's current; then
``:SOUR:VOLT:MODE FIX``, which leaves the output at the bias level.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from drivers.instrument import (
    ScpiInstrument,
    StrictRange,
    control,
    measurement,
    parse_bool,
    parse_word,
    wire_number,
)
from drivers.safety import Interlock
from drivers.smu.base import VoltageSourceMeter
from drivers.transport import LineTransport


class Keithley2400(ScpiInstrument, VoltageSourceMeter):
    """Keithley 2400/2401/2410-series SMU sourcing voltage and measuring current."""

    model = "Keithley 2400"
    identity_pattern = r"KEITHLEY INSTRUMENTS.*MODEL 24\d\d"
    sweep_points_max = 2500
    list_chunk = 100
    """Most values one :SOUR:LIST:VOLT or :SOUR:LIST:VOLT:APP command takes."""

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
    source_delay = control(
        ":SOUR:DEL?", ":SOUR:DEL {value}", "the delay before each measurement",
        validator=StrictRange(0, 999.9999), units="s",
    )
    voltage_mode = control(
        ":SOUR:VOLT:MODE?", ":SOUR:VOLT:MODE {value}", "the voltage sourcing mode",
        values={"FIX": "FIX", "LIST": "LIST", "SWE": "SWE"}, parse=parse_word,
    )
    trigger_count = control(
        ":TRIG:COUN?", ":TRIG:COUN {value}", "the readings per :READ? (sweep points)",
        validator=StrictRange(1, 2500),
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

    def _enter_sweep(self) -> None:
        self.voltage_mode = "LIST"

    def _arm(self, levels: NDArray[np.float64]) -> None:
        for start in range(0, levels.size, self.list_chunk):
            values = ",".join(wire_number(float(v)) for v in levels[start:start + self.list_chunk])
            self.write(f":SOUR:LIST:VOLT{':APP' if start else ''} {values}")
        self.trigger_count = levels.size

    def _trigger(self, points: int, seconds: float) -> NDArray[np.float64]:
        query = ":READ?"
        reply = self.transport.query_long(query, seconds)
        self.check_errors()
        return self._readings(query, reply, points)

    def _leave_sweep(self) -> None:
        self.voltage_mode = "FIX"
        self.trigger_count = 1
