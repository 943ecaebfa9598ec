"""Emulated Keysight 33521B waveform generator firing pulses into the simulated bench.

Channel 1 only (a 33521B); suffix ``1`` is accepted on SOURce, OUTPut and TRIGger.
Accepts the function, levels (high/low or amplitude/offset), pulse period, width and
edge times, polarity, load, burst and trigger commands, output, ``*TRG`` and ``*OPC?``, and
arbitrary waveforms in volatile memory: ``DATA:ARB name,v1,v2,...`` (8 to 65,536 points from
-1 to +1, names of up to 12 characters starting with a letter), ``DATA:VOL:CLE``,
``FUNC:ARB name`` (the query answers the name in quotes), ``FUNC:ARB:SRAT`` (1 uSa/s to
250 MSa/s) and ``FUNC:ARB:FILT NORM|STEP|OFF``. An arbitrary waveform spans the levels as the
guide defines it: +1 is the high level and -1 the low level (swapped under inverted polarity).
Levels are checked against the load (+-5 V into 50 ohm, +-10 V into high impedance) and
high must stay above low; a width must fit in the period. A ``*TRG`` with the bus as
trigger source, burst on in triggered mode, the pulse function and the output on fires
``BURS:NCYC`` pulses: each calls ``bench.apply_pulse`` with the level the pulse reaches
(high, or low under inverted polarity) and its width; the baseline is taken as 0 V. With the
arbitrary function it plays the selected waveform ``BURS:NCYC`` times: each run of equal
samples away from 0 V (one sample lasts 1 / sample rate; the filter is taken as ``OFF``, each
sample held) is a pulse, and the train goes to ``bench.apply_burst``.
Otherwise ``*TRG`` is refused with -211 "Trigger ignored" (no pulse with the output off).
A pulse the simulated array refuses (a level or width outside its model) is a -300
device-specific error. Integers are written with their sign, as the 33500B does (``+0``).
``input_buffer`` (64 KiB, room for list data such as an arbitrary waveform in one line) is
the emulator's choice; the programming guide gives no size.
"""

from __future__ import annotations

import math
import re

import numpy as np

from mock_hw.instruments.base import no_parameter
from mock_hw.instruments.errorqueue import InstrumentCommandError
from mock_hw.instruments.scpi import ScpiEmulator, parse_bool, parse_choice, parse_number

ARB_POINTS = (8, 65536)
"""Fewest and most points of a volatile arbitrary waveform (33500B without the memory option)."""
ARB_RATES = (1e-6, 250e6)
"""Sample rates of the arbitrary function (Sa/s)."""
IDLE_VOLTS = 1e-6
"""Samples closer to 0 V than this are the waveform's idle level, not a pulse."""
_ARB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,11}")
FUNCTIONS = ("SINusoid", "SQUare", "TRIangle", "RAMP", "PULSe", "PRBS", "NOISe", "ARB", "DC")
INFINITE_LOAD = 9.9e37


def _num(value: float) -> str:
    return f"{value:+.14E}"


def _conflict() -> InstrumentCommandError:
    return InstrumentCommandError(-221, "Settings conflict")


class Keysight33500BEmulator(ScpiEmulator):
    """A 33521B on the simulated bench; ``handle(line)`` is its LAN socket port."""

    identity = "Keysight Technologies,33521B,MY52400123,4.00-1.19-2.00-58-00"
    no_error = '+0,"No error"'
    queue_capacity = 20
    input_buffer = 65536
    integer_format = "{:+d}"

    def reset(self) -> None:
        self.function = "SIN"
        self.high, self.low = 0.05, -0.05
        self.polarity = "NORM"
        self.load = 50.0
        self.period = 1e-3
        self.width = 100e-6
        self.lead_edge = self.trail_edge = 10e-9
        self.burst = False
        self.burst_mode = "TRIG"
        self.cycles = 1
        self.trigger_source = "IMM"
        self.output = False
        self.pulses_fired = 0
        self.arb_waveforms: dict[str, np.ndarray] = {}
        self.arb_name = ""
        self.sample_rate = 40e3
        self.arb_filter = "NORM"

    def define(self) -> None:
        super().define()
        c = self.command
        c("[:SOURce#]:FUNCtion[:SHAPe]",
          set=lambda a: setattr(self, "function", parse_choice(a, FUNCTIONS)),
          get=lambda: self.function)
        c("[:SOURce#]:VOLTage:HIGH", set=self._set_high, get=lambda: _num(self.high))
        c("[:SOURce#]:VOLTage:LOW", set=self._set_low, get=lambda: _num(self.low))
        c("[:SOURce#]:VOLTage[:AMPLitude]", set=self._set_amplitude,
          get=lambda: _num(self.high - self.low))
        c("[:SOURce#]:VOLTage:OFFSet", set=self._set_offset,
          get=lambda: _num((self.high + self.low) / 2))
        c("[:SOURce#]:FUNCtion:PULSe:PERiod", set=self._set_period, get=lambda: _num(self.period))
        c("[:SOURce#]:FUNCtion:PULSe:WIDTh", set=self._set_width, get=lambda: _num(self.width))
        c("[:SOURce#]:FUNCtion:PULSe:TRANsition[:BOTH]", set=self._set_edges,
          get=lambda: _num(self.lead_edge))
        c("[:SOURce#]:FUNCtion:PULSe:TRANsition:LEADing",
          set=lambda a: setattr(self, "lead_edge", parse_number(a, 8.4e-9, 1e-6, 10e-9)),
          get=lambda: _num(self.lead_edge))
        c("[:SOURce#]:FUNCtion:PULSe:TRANsition:TRAiling",
          set=lambda a: setattr(self, "trail_edge", parse_number(a, 8.4e-9, 1e-6, 10e-9)),
          get=lambda: _num(self.trail_edge))
        c("[:SOURce#]:BURSt:STATe", set=lambda a: setattr(self, "burst", parse_bool(a)),
          get=lambda: "1" if self.burst else "0")
        c("[:SOURce#]:BURSt:MODE",
          set=lambda a: setattr(self, "burst_mode", parse_choice(a, ("TRIGgered", "GATed"))),
          get=lambda: self.burst_mode)
        c("[:SOURce#]:BURSt:NCYCles",
          set=lambda a: setattr(self, "cycles", round(parse_number(a, 1, 1e8, 1))),
          get=lambda: _num(self.cycles))
        c(":TRIGger#:SOURce",
          set=lambda a: setattr(self, "trigger_source",
                                parse_choice(a, ("IMMediate", "EXTernal", "TIMer", "BUS"))),
          get=lambda: self.trigger_source)
        c(":OUTPut#[:STATe]", set=lambda a: setattr(self, "output", parse_bool(a)),
          get=lambda: "1" if self.output else "0")
        c(":OUTPut#:POLarity",
          set=lambda a: setattr(self, "polarity", parse_choice(a, ("NORMal", "INVerted"))),
          get=lambda: self.polarity)
        c(":OUTPut#:LOAD", set=self._set_load,
          get=lambda: _num(INFINITE_LOAD if math.isinf(self.load) else self.load))
        c("[:SOURce#]:DATA:ARBitrary", set=self._load_arb)
        c("[:SOURce#]:DATA:VOLatile:CLEar", set=self._clear_arbs)
        c("[:SOURce#]:FUNCtion:ARBitrary", set=self._select_arb,
          get=lambda: f'"{self.arb_name}"')
        c("[:SOURce#]:FUNCtion:ARBitrary:SRATe",
          set=lambda a: setattr(self, "sample_rate", parse_number(a, *ARB_RATES, 40e3)),
          get=lambda: _num(self.sample_rate))
        c("[:SOURce#]:FUNCtion:ARBitrary:FILTer",
          set=lambda a: setattr(self, "arb_filter",
                                parse_choice(a, ("NORMal", "STEP", "OFF"))),
          get=lambda: self.arb_filter)
        self.common("*TRG", self._trigger)

    def _level_limit(self) -> float:
        return 10.0 if math.isinf(self.load) else 5.0 * self.load / (self.load + 50.0) * 2

    def _level(self, args: str) -> float:
        limit = self._level_limit()
        return parse_number(args, -limit, limit, 0.0)

    def _set_high(self, args: str) -> None:
        high = self._level(args)
        if high <= self.low:
            raise _conflict()
        self.high = high

    def _set_low(self, args: str) -> None:
        low = self._level(args)
        if low >= self.high:
            raise _conflict()
        self.low = low

    def _set_amplitude(self, args: str) -> None:
        limit = self._level_limit()
        amplitude = parse_number(args, 1e-3, 2 * limit, 0.1)
        offset = (self.high + self.low) / 2
        if abs(offset) + amplitude / 2 > limit:
            raise _conflict()
        self.high, self.low = offset + amplitude / 2, offset - amplitude / 2

    def _set_offset(self, args: str) -> None:
        limit = self._level_limit()
        offset = parse_number(args, -limit, limit, 0.0)
        half = (self.high - self.low) / 2
        if abs(offset) + half > limit:
            raise _conflict()
        self.high, self.low = offset + half, offset - half

    def _set_load(self, args: str) -> None:
        text = args.strip().upper()
        self.load = math.inf if text in ("INF", "INFINITY") else parse_number(args, 1, 1e4, 50)

    def _set_period(self, args: str) -> None:
        period = parse_number(args, 33e-9, 1e6, 1e-3)
        if self.width >= period:
            raise _conflict()
        self.period = period

    def _set_width(self, args: str) -> None:
        width = parse_number(args, 16e-9, 1e6, 100e-6)
        if width >= self.period:
            raise _conflict()
        self.width = width

    def _set_edges(self, args: str) -> None:
        self.lead_edge = self.trail_edge = parse_number(args, 8.4e-9, 1e-6, 10e-9)

    def _load_arb(self, args: str) -> None:
        name, _, data = args.partition(",")
        name = name.strip().strip("\"'")
        if not _ARB_NAME.fullmatch(name):
            raise InstrumentCommandError(-224, "Illegal parameter value")
        points = data.split(",")
        if not ARB_POINTS[0] <= len(points) <= ARB_POINTS[1]:
            raise InstrumentCommandError(-222, "Data out of range")
        self.arb_waveforms[name.upper()] = np.array(
            [parse_number(point, -1.0, 1.0, 0.0) for point in points])

    def _clear_arbs(self, args: str) -> None:
        no_parameter(args)
        self.arb_waveforms.clear()
        self.arb_name = ""

    def _select_arb(self, args: str) -> None:
        name = args.strip().strip("\"'").upper()
        if name not in self.arb_waveforms:
            raise InstrumentCommandError(-224, "Illegal parameter value")
        self.arb_name = name

    def _arb_train(self) -> tuple[list[float], float, float]:
        """The selected waveform as pulses: their levels (V), width (s) and the period (s).
        Pulses of different widths are not a train of one width: refused as a conflict."""
        data = self.arb_waveforms[self.arb_name]
        half, middle = (self.high - self.low) / 2, (self.high + self.low) / 2
        volts = middle + (half if self.polarity == "NORM" else -half) * data
        volts[np.abs(volts) < IDLE_VOLTS] = 0.0
        starts = np.flatnonzero(np.r_[True, volts[1:] != volts[:-1]])
        lengths = np.diff(np.r_[starts, volts.size])
        pulse = volts[starts] != 0.0
        levels, runs = volts[starts][pulse], lengths[pulse]
        if runs.size and np.any(runs != runs[0]):
            raise _conflict()
        dt = 1.0 / self.sample_rate
        return [float(v) for v in levels], float(runs[0] * dt) if runs.size else dt, volts.size * dt

    def _trigger(self) -> None:
        armed = (self.trigger_source == "BUS" and self.burst and self.burst_mode == "TRIG")
        if not armed:
            raise InstrumentCommandError(-211, "Trigger ignored")
        if self.output and self.function == "ARB" and self.arb_name:
            levels, width, period = self._arb_train()
            self.on_bench(lambda: self.bench.apply_burst(levels, width, period, self.cycles))
            self.pulses_fired += len(levels) * self.cycles
            return
        if not (self.output and self.function == "PULS"):
            return
        level = self.high if self.polarity == "NORM" else self.low
        for _ in range(self.cycles):
            self.on_bench(lambda: self.bench.apply_pulse(level, self.width))
            self.pulses_fired += 1
