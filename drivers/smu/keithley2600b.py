"""Keithley 2600B-series System SourceMeter over TSP, one channel (smua or smub).

Commands follow the Series 2600B Reference Manual (TSP command reference):
``smuX.source.func = smuX.OUTPUT_DCVOLTS``, ``smuX.source.levelv``, ``smuX.source.limiti``,
``smuX.measure.nplc``, ``smuX.source.output = smuX.OUTPUT_ON``, ``print(smuX.measure.i())``,
and the error queue ``errorqueue.count`` / ``errorqueue.next()``. Numbers come back in the
instrument's default ASCII format (e.g. ``1.00000e+00``).
Sweeps run the trigger model ("Sweep operation"): ``smuX.trigger.source.listv({...})``,
``smuX.trigger.source.action = smuX.ENABLE``, ``smuX.trigger.measure.i(smuX.nvbuffer1)``,
``smuX.trigger.measure.action = smuX.ENABLE``, ``smuX.trigger.count``, then
``smuX.trigger.initiate()``, ``waitcomplete()`` and ``printbuffer(1, n,
smuX.nvbuffer1.readings)`` on one line. The list travels on one line, so a sweep has at
most 200 points (under 3 kB); longer ones run as several.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from drivers.errors import ConfigError
from drivers.instrument import (
    RangeByVariant,
    StrictRange,
    control,
    measurement,
    parse_bool,
    wire_number,
)
from drivers.safety import Interlock
from drivers.smu.base import VoltageSourceMeter
from drivers.transport import LineTransport


def _parse_func(reply: str) -> str:
    return {0: "CURR", 1: "VOLT"}[round(float(reply))]


class Keithley2600B(VoltageSourceMeter):
    """Keithley 2601B/2602B/2604B/2611B/2612B/2614B/2634B/2635B/2636B channel sourcing V,
    measuring I; the current limit goes down to 10 nA, or 100 pA on a 2634B/2635B/2636B
    (``smuX.source.limitY``, Rev. F p. 9-244)."""

    model = "Keithley 2600B"
    identity_pattern = r"KEITHLEY INSTRUMENTS.*MODEL (?P<variant>26\d\dB)"
    max_errors: ClassVar[int] = 32
    sweep_points_max = 200

    source_function = control(
        "print({ch}.source.func)", "{ch}.source.func = {ch}.{value}", "the source function",
        values={"VOLT": "OUTPUT_DCVOLTS", "CURR": "OUTPUT_DCAMPS"}, parse=_parse_func,
    )
    source_voltage = control(
        "print({ch}.source.levelv)", "{ch}.source.levelv = {value}", "the source voltage",
        validator=StrictRange(-200, 200), units="V",
        level="smu",
    )
    compliance_current = control(
        "print({ch}.source.limiti)", "{ch}.source.limiti = {value}", "the current limit",
        validator=RangeByVariant(StrictRange(10e-9, 1.5),
                                 {("2634B", "2635B", "2636B"): StrictRange(100e-12, 1.5)}),
        units="A",
        safety=Interlock.check_compliance,
    )
    nplc = control(
        "print({ch}.measure.nplc)", "{ch}.measure.nplc = {value}",
        "the integration time", validator=StrictRange(0.001, 25), units="power-line cycles",
    )
    output_enabled = control(
        "print({ch}.source.output)", "{ch}.source.output = {ch}.{value}",
        "whether the output is on",
        values={True: "OUTPUT_ON", False: "OUTPUT_OFF"}, parse=parse_bool,
    )
    source_delay = control(
        "print({ch}.source.delay)", "{ch}.source.delay = {value}",
        "the delay before each measurement", validator=StrictRange(0, 1e4), units="s",
    )
    trigger_count = control(
        "print({ch}.trigger.count)", "{ch}.trigger.count = {value}",
        "the points of a trigger-model sweep", validator=StrictRange(1, 60000),
    )
    current = measurement("print({ch}.measure.i())", "one current reading", units="A")

    def __init__(
        self,
        transport: LineTransport,
        interlock: Interlock,
        *,
        channel: Literal["a", "b"] = "a",
        nplc: float = 1.0,
    ) -> None:
        """Check the identity, reset, and set the channel up to source V at ``nplc``."""
        if channel not in ("a", "b"):
            raise ConfigError(f"{self.model} channel {channel!r} is not 'a' or 'b'")
        super().__init__(transport, interlock)
        self.channel = channel
        self.verify_identity()
        self.write("reset()")
        self.write("errorqueue.clear()")
        self.source_function = "VOLT"
        self.nplc = nplc
        self.check_errors()

    def command_fields(self) -> dict[str, str]:
        return {"ch": f"smu{self.channel}"}

    def error_queue(self) -> list[tuple[int, str]]:
        """Drain ``errorqueue``: ``count`` entries, each ``next()`` a tab-separated record."""
        count = min(round(float(self.ask("print(errorqueue.count)"))), self.max_errors)
        errors: list[tuple[int, str]] = []
        for _ in range(count):
            code, message, *_ = self.ask("print(errorqueue.next())").split("\t")
            errors.append((round(float(code)), message))
        return errors

    def _enter_sweep(self) -> None:
        ch = f"smu{self.channel}"
        self.write(f"{ch}.trigger.source.action = {ch}.ENABLE")
        self.write(f"{ch}.trigger.measure.i({ch}.nvbuffer1)")
        self.write(f"{ch}.trigger.measure.action = {ch}.ENABLE")

    def _arm(self, levels: NDArray[np.float64]) -> None:
        ch = f"smu{self.channel}"
        values = ", ".join(wire_number(float(v)) for v in levels)
        self.write(f"{ch}.trigger.source.listv({{{values}}})")
        self.trigger_count = levels.size

    def _trigger(self, points: int, seconds: float) -> NDArray[np.float64]:
        ch = f"smu{self.channel}"
        query = (f"{ch}.nvbuffer1.clear(); {ch}.trigger.initiate(); waitcomplete(); "
                 f"printbuffer(1, {points}, {ch}.nvbuffer1.readings)")
        reply = self.transport.query_long(query, seconds)
        self.check_errors()
        return self._readings(query, reply, points)

    def _leave_sweep(self) -> None:
        ch = f"smu{self.channel}"
        self.write(f"{ch}.trigger.source.action = {ch}.DISABLE")
