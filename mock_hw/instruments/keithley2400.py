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

Sweeps follow section 10 "Sweep Operation" and the SOURce and TRIGger subsystems of the
same manual: ``:SOUR:VOLT:MODE FIX|LIST|SWE``; a custom (list) sweep of ``:SOUR:LIST:VOLT``
(at most 100 values per command, ``:APP`` adds up to 100 more, 2500 in all); a staircase of
``:SOUR:VOLT:STAR/STOP/STEP`` or ``:SOUR:SWE:POIN`` with ``:SOUR:SWE:SPAC LIN|LOG`` and
``:SOUR:SWE:DIR UP|DOWN``; ``:TRIG:COUN`` (1 to 2500) points per ``:READ?``, the sweep
starting over when the count exceeds its points; ``:SOUR:DEL`` before each measurement.
Every sweep point holds its level on the routed cells for the source delay plus the
integration time (NPLC over the line frequency, ``:SYST:LFR``, 60 Hz by default), so the bias
acts on them as a DC staircase does; the readings of all points come back in one reply.
Fixed-level readings stay reads: instantaneous and non-disturbing, as DEVICE_MODEL.md's
read, so that host-driven write-verify keeps its timing. With ``:SOUR:DEL:AUTO ON`` (the
reset state) the emulator waits 1 ms, its choice: the manual's auto delay depends on the
range.

``input_buffer`` (2048 characters) is the emulator's choice; the manual gives no size.
"""

from __future__ import annotations

import numpy as np

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
MAX_POINTS = 2500
"""Largest trigger count, sweep and source list (the 2400's buffer holds 2500 readings)."""
LIST_CHUNK = 100
"""Most values one :SOUR:LIST:VOLT (or :APP) command takes."""
AUTO_DELAY = 1e-3
"""The source delay (s) with :SOUR:DEL:AUTO ON: the emulator's choice."""


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
        self.volt_mode = "FIX"
        self.source_list: list[float] = []
        self.start, self.stop, self.step = 0.0, 0.0, 0.0
        self.spacing, self.direction = "LIN", "UP"
        self.sweep_points = 2500
        self.trigger_count = 1
        self.source_delay = 0.0
        self.auto_delay = True
        self.line_frequency = getattr(self, "line_frequency", 60.0)

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
        c("[:SOURce#]:VOLTage:MODE",
          set=lambda a: setattr(self, "volt_mode", parse_choice(a, ("FIXed", "LIST", "SWEep"))),
          get=lambda: self.volt_mode)
        c("[:SOURce#]:LIST:VOLTage", set=lambda a: self._set_list(a, append=False),
          get=lambda: ",".join(_num(v) for v in self.source_list))
        c("[:SOURce#]:LIST:VOLTage:APPend", set=lambda a: self._set_list(a, append=True))
        c("[:SOURce#]:LIST:VOLTage:POINts", get=lambda: str(len(self.source_list)))
        for name in ("STARt", "STOP", "STEP"):
            c(f"[:SOURce#]:VOLTage:{name}", set=lambda a, n=name: self._set_staircase(n, a),
              get=lambda n=name: _num(getattr(self, n.lower())))
        c("[:SOURce#]:SWEep:POINts", set=self._set_points, get=lambda: str(self.sweep_points))
        c("[:SOURce#]:SWEep:SPACing",
          set=lambda a: setattr(self, "spacing", parse_choice(a, ("LINear", "LOGarithmic"))),
          get=lambda: self.spacing)
        c("[:SOURce#]:SWEep:DIRection",
          set=lambda a: setattr(self, "direction", parse_choice(a, ("UP", "DOWN"))),
          get=lambda: self.direction)
        c("[:SOURce#]:DELay", set=self._set_delay, get=lambda: _num(self._delay()))
        c("[:SOURce#]:DELay:AUTO", set=lambda a: setattr(self, "auto_delay", parse_bool(a)),
          get=lambda: "1" if self.auto_delay else "0")
        c(":TRIGger:COUNt",
          set=lambda a: setattr(self, "trigger_count",
                                round(parse_number(a, 1, MAX_POINTS, 1))),
          get=lambda: str(self.trigger_count))
        c(":ARM:COUNt", set=lambda a: parse_number(a, 1, 1, 1), get=lambda: "1")
        c(":SYSTem:LFRequency",
          set=lambda a: setattr(self, "line_frequency", parse_number(a, 50, 60, 60)),
          get=lambda: str(round(self.line_frequency)))
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

    def _set_list(self, args: str, append: bool) -> None:
        values = [parse_number(v, -210, 210, 0.0) for v in args.split(",")]
        if len(values) > LIST_CHUNK:
            raise InstrumentCommandError(-223, "Too much data")
        merged = (self.source_list if append else []) + values
        if len(merged) > MAX_POINTS:
            raise InstrumentCommandError(-223, "Too much data")
        self.source_list = merged

    def _set_staircase(self, name: str, args: str) -> None:
        value = parse_number(args, -210, 210, 0.0)
        setattr(self, name.lower(), abs(value) if name == "STEP" else value)
        if self.step:  # points = |stop - start| / step + 1, as the manual defines them
            self.sweep_points = min(int(abs(self.stop - self.start) / self.step + 1e-9) + 1,
                                    MAX_POINTS)

    def _set_points(self, args: str) -> None:
        self.sweep_points = round(parse_number(args, 1, MAX_POINTS, 2500))
        span = self.stop - self.start
        self.step = abs(span) / (self.sweep_points - 1) if self.sweep_points > 1 else 0.0

    def _set_delay(self, args: str) -> None:
        self.source_delay = parse_number(args, 0, 999.9999, 0.0)
        self.auto_delay = False

    def _delay(self) -> float:
        return AUTO_DELAY if self.auto_delay else self.source_delay

    def _levels(self) -> list[float]:
        """The source level of each point of one :READ? (trigger count of them)."""
        if self.volt_mode == "FIX" or self.source_function != "VOLT":
            return [self.voltage] * self.trigger_count
        if self.volt_mode == "LIST":
            if not self.source_list:
                raise InstrumentCommandError(-221, "Settings conflict")
            points = self.source_list
        else:
            n = self.sweep_points
            if self.spacing == "LOG":
                if self.start * self.stop <= 0:
                    raise InstrumentCommandError(-221, "Settings conflict")
                points = list(self.start * (self.stop / self.start) ** (
                    np.arange(n) / max(n - 1, 1)))
            else:
                sign = 1.0 if self.stop >= self.start else -1.0
                points = [self.start + sign * self.step * k for k in range(n)]
            if self.direction == "DOWN":
                points = points[::-1]
        return [points[k % len(points)] for k in range(self.trigger_count)]

    def _reading(self) -> str:
        if not self.output:
            raise InstrumentCommandError(803, "Not permitted with OUTPUT off")
        levels = self._levels()
        if self.source_function != "VOLT":
            return ",".join(self._point(OVERFLOW, self.current_level) for _ in levels)
        if self.volt_mode == "FIX":
            currents = [self.measure_current(v) for v in levels]
        else:
            currents = self.sweep_currents(levels, self._delay() + self.nplc / self.line_frequency)
        return ",".join(self._point(v, a) for v, a in zip(levels, currents, strict=True))

    def _point(self, volts: float, amps: float) -> str:
        """One reading of the chosen elements: ``amps`` measured at ``volts``."""
        status = 0
        if volts != OVERFLOW and abs(amps) >= self.current_compliance:
            amps = self.current_compliance if amps > 0 else -self.current_compliance
            status |= _COMPLIANCE_BIT
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
