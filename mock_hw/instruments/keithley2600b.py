"""Emulated Keithley 2636B System SourceMeter (TSP) with smua wired to the simulated bench.

Understands the TSP a lab uses to source V and measure I, one statement or several
separated by ``;`` per line: assignments to ``smuX.source.func/levelv/leveli/limiti/limitv/
output/rangev/autorangev`` and ``smuX.measure.nplc/rangei/autorangei`` (with the
``smuX.OUTPUT_*``/``smuX.AUTORANGE_*`` constants or numbers), calls ``reset()``,
``smuX.reset()``, ``errorqueue.clear()``, and ``print(...)`` of those attributes,
``errorqueue.count``, ``errorqueue.next()``, ``smuX.measure.i()``, ``smuX.measure.v()``.
Numbers print as the instrument's default ASCII format (``%.5e``); several values are
tab-separated. TSP is case-sensitive. Unknown names are runtime errors (-286),
unparsable statements syntax errors (-285), values out of range 1102 "Parameter too small"
(below the minimum) or 1102 "Parameter too big" (above it). Numbers are Lua decimal
numerals: ``nan`` or ``inf`` are names, hence runtime errors. A line holding a control
character (other than tab), DEL or a non-ASCII character is a syntax error before anything of
it runs, as the Lua compiler refuses the chunk (``unexpected symbol near `char(N)'``).

The common commands are those of the 2600B reference manual (2600BS-901-01, "Common
commands"): ``*CLS``, ``*ESE``, ``*ESE?``, ``*ESR?``, ``*IDN?``, ``*OPC``, ``*OPC?``,
``*RST``, ``*SRE``, ``*SRE?``, ``*STB?``, ``*TRG``, ``*TST?`` and ``*WAI``, not case sensitive,
each "sent in a separate message": a common command sharing a line with TSP is TSP, a syntax
error. Integer replies are written as ``tostring`` writes them (``*ESR?`` is
``print(tostring(status.standard.event))``). ``*TRG`` does nothing: no trigger model is
emulated.

Compliance follows the reference manual (Rev. F, ``smuX.source.limitY``): the 2636B takes
current limits of 100 pA to 1.5 A and voltage limits of 20 mV to 200 V, and "Using a limit
value of 0 results in error code 1102, 'Parameter too small'"; a limit under the minimum
(0 and negative ones included) is refused so, the previous limit kept. The maxima keep the
1% over-range the emulator has always accepted. The code for "Parameter too big" could not
be checked in the manual; it stays the emulator's 1102.

Sweeps run the trigger model of the reference manual ("Sweep operation", "Triggering"):
``smuX.trigger.source.listv({...})`` or ``smuX.trigger.source.linearv(start, stop, points)``,
``smuX.trigger.source.action = smuX.ENABLE``, ``smuX.trigger.source.limiti`` (0, i.e.
``smuX.LIMIT_AUTO``, keeps ``source.limiti``), ``smuX.trigger.measure.i(smuX.nvbuffer1)``,
``smuX.trigger.measure.action``, ``smuX.trigger.count``, ``smuX.trigger.arm.count`` (1) and
``smuX.trigger.initiate()``, which runs the whole sweep before the next statement (so
``waitcomplete()`` has nothing to wait for); the list wraps when the count exceeds it. Each
point holds its level on the routed cells for ``smuX.source.delay`` (``smuX.DELAY_AUTO``: 1
ms, the emulator's choice) plus the integration time (NPLC at ``localnode.linefreq``, 60 Hz)
and stores the current in the dedicated buffer, read with ``printbuffer(1, n,
smuX.nvbuffer1.readings)`` (values separated by ``, ``), ``smuX.nvbufferY.n``,
``.capacity`` and ``.clear()``. A buffer holds 60000 readings here, the emulator's choice (the
instrument's capacity depends on what else it collects; a client reads ``.capacity``).
A fixed-level ``measure.i()`` stays a read: instantaneous and non-disturbing.

Over-long lines give -363 "Input buffer overrun", the SCPI code; ``input_buffer`` (4096
characters) is the emulator's choice, the manual gives no size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from mock_hw.bench import SimulatedBench
from mock_hw.instruments.base import LineEmulator, no_parameter
from mock_hw.instruments.errorqueue import InstrumentCommandError
from mock_hw.instruments.faults import InstrumentFaults

_NAME = r"[A-Za-z_][\w.]*"
_CALL = re.compile(rf"^({_NAME})\(\s*\)$")
_CALL_ARGS = re.compile(rf"^({_NAME})\((.*)\)$")
_ASSIGN = re.compile(rf"^({_NAME})\s*=\s*(\S.*)$")
_PRINT = re.compile(r"^print\((.*)\)$")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INVALID = re.compile(r"[^\t\x20-\x7e]")
_COMMON = re.compile(r"(\*[A-Za-z]+\??)(?:[ \t]+(.*))?")
CONSTANTS = {"OUTPUT_DCAMPS": 0.0, "OUTPUT_DCVOLTS": 1.0, "OUTPUT_OFF": 0.0, "OUTPUT_ON": 1.0,
             "AUTORANGE_OFF": 0.0, "AUTORANGE_ON": 1.0, "ENABLE": 1.0, "DISABLE": 0.0,
             "DELAY_AUTO": -1.0, "DELAY_OFF": 0.0, "LIMIT_AUTO": 0.0, "SOURCE_IDLE": 1.0,
             "SOURCE_HOLD": 0.0}
BUFFER_CAPACITY = 60000
"""Readings one dedicated buffer holds on the emulator."""
AUTO_DELAY = 1e-3
"""Source delay (s) of ``smuX.DELAY_AUTO`` on the emulator."""
LINE_FREQUENCY = 60.0
"""``localnode.linefreq`` (Hz)."""
# attribute -> (low, high, power-on value)
SETTINGS = {
    "source.func": (0, 1, 1.0),
    "source.levelv": (-202, 202, 0.0),
    "source.leveli": (-1.515, 1.515, 0.0),
    "source.limiti": (100e-12, 1.515, 100e-3),
    "source.limitv": (20e-3, 202, 20.0),
    "source.output": (0, 1, 0.0),
    "source.rangev": (0, 202, 200e-3),
    "source.autorangev": (0, 1, 1.0),
    "measure.nplc": (0.001, 25, 1.0),
    "measure.rangei": (0, 1.515, 100e-9),
    "measure.autorangei": (0, 1, 1.0),
    "source.delay": (-1, 1e4, -1.0),
    "trigger.count": (1, BUFFER_CAPACITY, 1.0),
    "trigger.arm.count": (1, 1, 1.0),
    "trigger.source.action": (0, 1, 0.0),
    "trigger.source.limiti": (0, 1.515, 0.0),
    "trigger.measure.action": (0, 1, 0.0),
    "trigger.endsweep.action": (0, 1, 1.0),
}


def _fmt(value: float) -> str:
    return f"{value:.5e}"


def _runtime(what: str) -> InstrumentCommandError:
    return InstrumentCommandError(-286, f"TSP Runtime error at line 1: {what}")


def _syntax(near: str) -> InstrumentCommandError:
    return InstrumentCommandError(-285, f"TSP Syntax error at line 1: unexpected symbol near "
                                        f"`{near}'")


class Keithley2600BEmulator(LineEmulator):
    """A two-channel 2636B on the simulated bench; ``handle(line)`` is its LAN port."""

    identity = "Keithley Instruments Inc., Model 2636B, 4123457, 3.3.5"
    input_buffer = 4096

    def __init__(
        self,
        bench: SimulatedBench,
        *,
        faults: InstrumentFaults | None = None,
        lock: AbstractContextManager[Any] | None = None,
        wired_channel: str = "a",
    ) -> None:
        self.wired_channel = wired_channel
        super().__init__(bench, faults=faults, lock=lock)
        self._common["*TRG"] = no_parameter(lambda: None)

    def reset(self) -> None:
        self.channels = {ch: {k: v[2] for k, v in SETTINGS.items()} for ch in ("a", "b")}
        self.sweeps: dict[str, list[float]] = {"a": [], "b": []}
        self.buffers = {f"smu{ch}.nvbuffer{k}": [] for ch in "ab" for k in (1, 2)}
        self.targets: dict[str, str | None] = {"a": None, "b": None}

    def _channel(self, name: str) -> tuple[str, str]:
        head, _, rest = name.partition(".")
        if head not in ("smua", "smub"):
            raise _runtime(f"attempt to index global '{head}' (a nil value)")
        return head[-1], rest

    def execute(self, line: str) -> str | None:
        replies: list[str] = []
        try:
            if invalid := _INVALID.search(line):
                raise _syntax(f"char({ord(invalid.group())})")
            common = _COMMON.fullmatch(line)
            action = self._common.get(common.group(1).upper()) if common else None
            if common and action:
                return action(common.group(2) or "")
            for statement in (s.strip() for s in line.split(";")):
                if statement:
                    reply = self._statement(statement)
                    if reply is not None:
                        replies.append(reply)
        except InstrumentCommandError as err:
            self.status.push(err.code, err.message)
        return "\n".join(replies) if replies else None

    def _statement(self, statement: str) -> str | None:
        if match := _PRINT.match(statement):
            values: list[str] = []
            for expr in filter(None, (e.strip() for e in match.group(1).split(","))):
                values.extend(self._evaluate(expr))
            return "\t".join(values)
        if match := _ASSIGN.match(statement):
            self._assign(match.group(1), match.group(2).strip())
            return None
        if match := _CALL.match(statement):
            self._call(match.group(1))
            return None
        if match := _CALL_ARGS.match(statement):
            return self._call_with(match.group(1), match.group(2).strip())
        raise _syntax(statement.split()[0])

    def _number(self, expr: str) -> float:
        if _NUMBER.fullmatch(expr):
            return float(expr)
        if expr == "localnode.linefreq":
            return LINE_FREQUENCY
        buffer, _, field = expr.rpartition(".")
        if buffer in self.buffers and field in ("n", "capacity"):
            return float(len(self.buffers[buffer]) if field == "n" else BUFFER_CAPACITY)
        ch, rest = self._channel(expr)
        if rest in CONSTANTS:
            return CONSTANTS[rest]
        if rest in SETTINGS:
            return self.channels[ch][rest]
        raise _runtime(f"attempt to index field '{rest}' (a nil value)")

    def _evaluate(self, expr: str) -> list[str]:
        if call := _CALL.match(expr):
            return self._call(call.group(1))
        if expr == "errorqueue.count":
            return [_fmt(len(self.status.errors))]
        if expr.startswith('"') and expr.endswith('"'):
            return [expr[1:-1]]
        return [_fmt(self._number(expr))]

    def _assign(self, target: str, expr: str) -> None:
        ch, rest = self._channel(target)
        if rest not in SETTINGS:
            raise _runtime(f"attempt to set nonexistent attribute '{rest}'")
        value = self._number(expr)
        low, high, _ = SETTINGS[rest]
        if value > high:
            raise InstrumentCommandError(1102, "Parameter too big")
        if value < low:
            raise InstrumentCommandError(1102, "Parameter too small")
        self.channels[ch][rest] = value

    def _call(self, name: str) -> list[str]:
        functions: dict[str, Callable[[], list[str]]] = {
            "reset": lambda: self._void(self.reset),
            "errorqueue.clear": lambda: self._void(self.status.errors.clear),
            "errorqueue.next": self._next_error,
        }
        if name in functions:
            return functions[name]()
        if name.endswith(".clear") and name.removesuffix(".clear") in self.buffers:
            self.buffers[name.removesuffix(".clear")].clear()
            return []
        if name == "waitcomplete":
            return []
        ch, rest = self._channel(name)
        if rest == "trigger.initiate":
            self._sweep(ch)
            return []
        if rest == "reset":
            self.channels[ch] = {k: v[2] for k, v in SETTINGS.items()}
            return []
        if rest == "measure.i":
            return [_fmt(self._measure(ch)[1])]
        if rest == "measure.v":
            return [_fmt(self._measure(ch)[0])]
        if rest == "measure.iv":
            volts, amps = self._measure(ch)
            return [_fmt(amps), _fmt(volts)]
        raise _runtime(f"attempt to call field '{rest}' (a nil value)")

    def _call_with(self, name: str, args: str) -> str | None:
        """A function call with arguments: sweep set-up, or ``printbuffer``."""
        if name == "printbuffer":
            first, last, buffer = self._arguments(args, 3)
            readings = self.buffers.get(buffer.removesuffix(".readings"))
            if readings is None:
                raise _runtime(f"bad argument #3 to 'printbuffer' ({buffer})")
            start, stop = round(self._number(first)), round(self._number(last))
            if not 1 <= start <= stop <= len(readings):
                raise _runtime("bad argument to 'printbuffer' (index out of range)")
            return ", ".join(_fmt(v) for v in readings[start - 1:stop])
        ch, rest = self._channel(name)
        if rest == "trigger.source.listv":
            table = args.strip()
            if not (table.startswith("{") and table.endswith("}")):
                raise _runtime("bad argument #1 to 'listv' (table expected)")
            values = [self._number(v.strip()) for v in table[1:-1].split(",") if v.strip()]
            self._levels_in_range(values)
            self.sweeps[ch] = values
        elif rest == "trigger.source.linearv":
            start, stop, points = (self._number(a) for a in self._arguments(args, 3))
            if points < 2 or points != round(points):
                raise InstrumentCommandError(1102, "Parameter too small")
            self._levels_in_range([start, stop])
            self.sweeps[ch] = [start + (stop - start) * k / (round(points) - 1)
                               for k in range(round(points))]
        elif rest == "trigger.measure.i":
            (buffer,) = self._arguments(args, 1)
            if buffer not in self.buffers:
                raise _runtime(f"bad argument #1 to 'i' ({buffer})")
            self.targets[ch] = buffer
        else:
            raise _runtime(f"attempt to call field '{rest}' (a nil value)")
        return None

    @staticmethod
    def _arguments(args: str, count: int) -> list[str]:
        parts = [a.strip() for a in args.split(",")]
        if len(parts) != count or not all(parts):
            raise _runtime(f"wrong number of arguments ({count} expected)")
        return parts

    @staticmethod
    def _levels_in_range(values: list[float]) -> None:
        low, high, _ = SETTINGS["source.levelv"]
        if not values:
            raise _runtime("bad argument #1 to 'listv' (empty table)")
        if max(values) > high:
            raise InstrumentCommandError(1102, "Parameter too big")
        if min(values) < low:
            raise InstrumentCommandError(1102, "Parameter too small")

    def _sweep(self, ch: str) -> None:
        """Run the channel's trigger model: each point holds its level, then measures."""
        state = self.channels[ch]
        levels = self.sweeps[ch]
        if not state["trigger.source.action"] or not levels:
            raise InstrumentCommandError(-221, "Settings conflict")
        count = round(state["trigger.count"])
        dwell = self._dwell(ch)
        limit = state["trigger.source.limiti"] or state["source.limiti"]
        target = self.targets[ch] if state["trigger.measure.action"] else None
        readings = [] if target is None else self.buffers[target]
        readings.clear()
        if count > BUFFER_CAPACITY:
            raise InstrumentCommandError(-225, "Out of memory")
        live = bool(state["source.output"]) and ch == self.wired_channel
        points = [levels[k % len(levels)] for k in range(count)]
        amps = self.sweep_currents(points, dwell) if live else [0.0] * count
        if target is not None:
            readings.extend(max(-limit, min(limit, a)) for a in amps)

    @staticmethod
    def _void(action: Callable[[], None]) -> list[str]:
        action()
        return []

    def _next_error(self) -> list[str]:
        code, message = self.status.errors.pop() or (0, "Queue Is Empty")
        return [_fmt(code), message, _fmt(2 if code else 0), _fmt(0)]

    def _dwell(self, ch: str) -> float:
        """How long one sweep point holds its level: source delay plus integration (s)."""
        state = self.channels[ch]
        delay = AUTO_DELAY if state["source.delay"] < 0 else state["source.delay"]
        return delay + state["measure.nplc"] / LINE_FREQUENCY

    def _measure(self, ch: str) -> tuple[float, float]:
        state = self.channels[ch]
        if not state["source.output"]:
            return 0.0, 0.0
        if state["source.func"] == 0:
            return state["source.limitv"], state["source.leveli"]
        volts = state["source.levelv"]
        amps = self.measure_current(volts) if ch == self.wired_channel else 0.0
        limit = state["source.limiti"]
        return volts, max(-limit, min(limit, amps))
