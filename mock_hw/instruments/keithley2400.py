"""Emulated Keithley 2400 SourceMeter (SCPI) sourcing voltage into the simulated bench.

Accepts the 2400's SCPI subset a lab uses to source V and measure I: source function and
levels, compliance, sense function, integration time, ranges, data elements, output,
``:READ?``/``:MEAS?``/``:INIT``/``:FETC?``. Readings carry the elements chosen with
``:FORM:ELEM`` (VOLT, CURR, RES, TIME, STAT) in the instrument's order; a reading with the
output off raises error 803 and returns nothing, as on the instrument. The measured
current is what the bench conducts at the sourced voltage, clipped at the compliance
(status bit 3). Current sourcing is accepted but not modelled: its readings report the
sourced current and an overflow voltage.

Compliance follows the 2400 Series User's Manual (2400S-900-01), section 18 "Set compliance
parameters": ``:SENS:CURR:PROT <n>`` takes -1.05 to 1.05 A and ``:SENS:VOLT:PROT <n>`` -210 to
210 V, so a negative level is accepted and sets a compliance of its magnitude (the limit is
bipolar; MINimum is -1.05 A); and "You cannot set compliance less than 0.1% of the present
measurement range", which with auto range means 0.1% of the lowest range (1 uA, 200 mV): a
level of smaller magnitude, 0 included, is refused with -222 "Data out of range" and the
previous compliance kept (the manual names no other code for it; -222 is what the 2400 uses
for parameters outside their range).

``input_buffer`` (2048 characters) is the emulator's choice; the manual gives no size.
"""

from __future__ import annotations

from mock_hw.instruments.errorqueue import InstrumentCommandError
from mock_hw.instruments.scpi import (
    ScpiEmulator,
    mnemonic,
    parse_bool,
    parse_choice,
    parse_number,
)

OVERFLOW = 9.91e37
ELEMENTS = ("VOLTage", "CURRent", "RESistance", "TIME", "STATus")
_COMPLIANCE_BIT = 1 << 3
MIN_CURRENT_COMPLIANCE = 1e-9
"""0.1% of the lowest current range, 1 uA (A)."""
MIN_VOLTAGE_COMPLIANCE = 200e-6
"""0.1% of the lowest voltage range, 200 mV (V)."""


def _compliance(args: str, maximum: float, default: float, minimum: float) -> float:
    """A compliance level: |n| of -maximum..maximum, refused if under ``minimum``."""
    level = abs(parse_number(args, -maximum, maximum, default))
    if level < minimum:
        raise InstrumentCommandError(-222, "Data out of range")
    return level


def _num(value: float) -> str:
    return f"{value:+.6E}"


class Keithley2400Emulator(ScpiEmulator):
    """A Keithley 2400 on the simulated bench; ``handle(line)`` is its GPIB/LAN port."""

    identity = "KEITHLEY INSTRUMENTS INC.,MODEL 2400,4123456,C32   Oct  4 2010 14:20:11/A02  /K/J"
    input_buffer = 2048

    def reset(self) -> None:
        self.source_function = "VOLT"
        self.voltage = 0.0
        self.current_level = 0.0
        self.current_compliance = 105e-6
        self.voltage_compliance = 21.0
        self.sense_functions = ["CURR"]
        self.nplc = 1.0
        self.elements = [mnemonic(e)[0] for e in ELEMENTS]
        self.output = False
        self._last: str | None = None

    def define(self) -> None:
        super().define()
        c = self.command
        c("[:SOURce#]:FUNCtion[:MODE]", set=self._set_source_function,
          get=lambda: self.source_function)
        c("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]",
          set=lambda a: setattr(self, "voltage", parse_number(a, -210, 210, 0.0)),
          get=lambda: _num(self.voltage))
        c("[:SOURce#]:CURRent[:LEVel][:IMMediate][:AMPLitude]",
          set=lambda a: setattr(self, "current_level", parse_number(a, -1.05, 1.05, 0.0)),
          get=lambda: _num(self.current_level))
        c("[:SOURce#]:VOLTage:MODE", set=lambda a: parse_choice(a, ("FIXed", "LIST", "SWEep")),
          get=lambda: "FIX")
        c("[:SOURce#]:VOLTage:RANGe[:UPPer]", set=lambda a: parse_number(a, -210, 210, 21),
          get=lambda: _num(21.0))
        c("[:SOURce#]:VOLTage:RANGe:AUTO", set=parse_bool, get=lambda: "1")
        c("[:SENSe#]:CURRent[:DC]:PROTection[:LEVel]",
          set=lambda a: setattr(self, "current_compliance",
                                _compliance(a, 1.05, 105e-6, MIN_CURRENT_COMPLIANCE)),
          get=lambda: _num(self.current_compliance))
        c("[:SENSe#]:VOLTage[:DC]:PROTection[:LEVel]",
          set=lambda a: setattr(self, "voltage_compliance",
                                _compliance(a, 210, 21, MIN_VOLTAGE_COMPLIANCE)),
          get=lambda: _num(self.voltage_compliance))
        c("[:SENSe#]:FUNCtion[:ON]", set=self._set_sense_functions,
          get=lambda: ",".join(f'"{f}:DC"' for f in self.sense_functions))
        c("[:SENSe#]:FUNCtion:CONCurrent", set=parse_bool, get=lambda: "1")
        c("[:SENSe#]:CURRent[:DC]:NPLCycles",
          set=lambda a: setattr(self, "nplc", parse_number(a, 0.01, 10, 1.0)),
          get=lambda: _num(self.nplc))
        c("[:SENSe#]:CURRent[:DC]:RANGe[:UPPer]", set=lambda a: parse_number(a, -1.05, 1.05, 1e-4),
          get=lambda: _num(1.05e-4))
        c("[:SENSe#]:CURRent[:DC]:RANGe:AUTO", set=parse_bool, get=lambda: "1")
        c(":FORMat:ELEMents[:SENSe#]", set=self._set_elements, get=lambda: ",".join(self.elements))
        c(":OUTPut#[:STATe]", set=lambda a: setattr(self, "output", parse_bool(a)),
          get=lambda: "1" if self.output else "0")
        c(":READ", get=self._read)
        c(":INITiate[:IMMediate]", set=lambda a: self._initiate())
        c(":FETCh", get=self._fetch)
        c(":MEASure[:CURRent[:DC]]", get=self._measure)

    def _set_source_function(self, args: str) -> None:
        function = parse_choice(args, ("VOLTage", "CURRent", "MEMory"))
        if function == "MEM":
            raise InstrumentCommandError(-221, "Settings conflict")
        self.source_function = function

    def _set_sense_functions(self, args: str) -> None:
        names = []
        for item in args.split(","):
            name = item.strip().strip("\"'").upper().removesuffix(":DC")
            names.append(parse_choice(name, ("VOLTage", "CURRent", "RESistance")))
        if not names:
            raise InstrumentCommandError(-109, "Missing parameter")
        self.sense_functions = names

    def _set_elements(self, args: str) -> None:
        chosen = {parse_choice(item, ELEMENTS) for item in args.split(",")}
        self.elements = [mnemonic(e)[0] for e in ELEMENTS if mnemonic(e)[0] in chosen]

    def _reading(self) -> str:
        if not self.output:
            raise InstrumentCommandError(803, "Not permitted with OUTPUT off")
        status = 0
        if self.source_function == "VOLT":
            volts = self.voltage
            amps = self.measure_current(volts)
            if abs(amps) >= self.current_compliance:
                amps = self.current_compliance if amps > 0 else -self.current_compliance
                status |= _COMPLIANCE_BIT
        else:
            volts, amps = OVERFLOW, self.current_level
        values = {"VOLT": volts, "CURR": amps, "RES": OVERFLOW,
                  "TIME": self.bench.array.clock, "STAT": float(status)}
        return ",".join(_num(values[e]) for e in self.elements)

    def _read(self) -> str:
        return self._reading()

    def _initiate(self) -> None:
        self._last = self._reading()

    def _fetch(self) -> str:
        if self._last is None:
            raise InstrumentCommandError(-230, "Data corrupt or stale")
        return self._last

    def _measure(self) -> str:
        self.sense_functions = ["CURR"]
        self.output = True
        return self._reading()
