"""What every emulated instrument shares: one line in, at most one reply line out.

An emulator acts on the shared ``SimulatedBench``; calls into the bench hold ``lock``,
which the caller shares among all emulators of one bench so that instruments served on
different threads never act on the array at the same time.

Every emulator keeps its IEEE 488.2 status (``status``: error queue, ESR, enables) and
answers the mandatory common commands (``*IDN?``, ``*RST``, ``*CLS``, ``*ESE``, ``*ESE?``,
``*ESR?``, ``*SRE``, ``*SRE?``, ``*STB?``, ``*TST?``, ``*OPC``, ``*OPC?``, ``*WAI``) from one
table, which SCPI and TSP emulators parse in their own way. No input makes ``handle`` raise:
a line longer than ``input_buffer`` is dropped with -363 "Input buffer overrun", and what the
simulated chip refuses is a device-specific error (-300) in the queue.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import numpy as np

from mock_hw.bench import SimulatedBench
from mock_hw.errors import SimulationError
from mock_hw.instruments.errorqueue import InstrumentCommandError
from mock_hw.instruments.faults import InstrumentFaults
from mock_hw.instruments.status import StatusModel

Common = Callable[[str], str | None]
"""A common command: receives its parameter text ("" if none), returns a reply or None."""
_T = TypeVar("_T")


def no_parameter(action: Callable[[], str | None]) -> Common:
    """A common command that takes no parameter: any parameter is -108."""

    def run(args: str) -> str | None:
        if args.strip():
            raise InstrumentCommandError(-108, "Parameter not allowed")
        return action()

    return run


class LineEmulator(ABC):
    """An instrument answering text lines; ``handle`` is its whole interface.

    ``input_buffer`` is the longest line (termination excluded, in characters) the
    instrument takes; ``integer_format`` is how it writes integers (``*ESR?``, ``*STB?``).
    """

    identity = ""
    queue_capacity = 10
    input_buffer = 4096
    integer_format = "{:d}"

    def __init__(
        self,
        bench: SimulatedBench,
        *,
        faults: InstrumentFaults | None = None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.bench = bench
        self.faults = faults or InstrumentFaults()
        self.lock = lock or threading.RLock()
        self.status = StatusModel(self.queue_capacity)
        self._common = self._common_commands()
        self._lines = 0
        self.reset()

    def _common_commands(self) -> dict[str, Common]:
        """The IEEE 488.2 common commands, by upper-case header."""
        status, integer = self.status, self.integer_format.format
        return {
            "*IDN?": no_parameter(lambda: self.identity),
            "*RST": no_parameter(self.reset),
            "*CLS": no_parameter(status.clear),
            "*ESE": status.set_event_enable,
            "*ESE?": no_parameter(lambda: integer(status.event_enable)),
            "*ESR?": no_parameter(lambda: integer(status.read_event())),
            "*SRE": status.set_request_enable,
            "*SRE?": no_parameter(lambda: integer(status.request_enable)),
            "*STB?": no_parameter(lambda: integer(status.status_byte())),
            "*TST?": no_parameter(lambda: integer(0)),
            "*OPC": no_parameter(status.operation_complete),
            "*OPC?": no_parameter(lambda: "1"),
            "*WAI": no_parameter(lambda: None),
        }

    @abstractmethod
    def reset(self) -> None:
        """Return every setting to its power-on value (``*RST``), outputs off."""

    @abstractmethod
    def execute(self, line: str) -> str | None:
        """Run one received line; return the reply line, or None if nothing was queried."""

    def handle(self, line: str) -> str | None:
        """Receive one line (termination stripped); return the reply line or None."""
        with self.lock:
            self._lines += 1
            if len(line) > self.input_buffer:
                self.status.push(-363, "Input buffer overrun")
                reply = None
            else:
                reply = self.execute(line.strip(" \t\r\n"))
            every = self.faults.error_every
            if every and self._lines % every == 0:
                self.status.push(self.faults.error_code, self.faults.error_message)
        if reply is not None and self.faults.reply_delay:
            time.sleep(self.faults.reply_delay)
        return reply

    def device_error(self) -> None:
        """Queue -300 "Device-specific error": how the line server reports that ``handle``
        itself failed, so that the client finds the failure where an instrument puts it."""
        with self.lock:
            self.status.push(-300, "Device-specific error")

    def on_bench(self, action: Callable[[], _T]) -> _T:
        """Run ``action`` on the bench. What the simulated chip refuses (a voltage or a width
        outside its model) becomes -300 "Device-specific error" with the reason appended,
        as an instrument reports a fault of what it drives, instead of an exception."""
        try:
            return action()
        except SimulationError as err:
            raise InstrumentCommandError(-300, f"Device-specific error;{err}") from None

    def measure_current(self, volts: float) -> float:
        """The current the cells routed to the SMU conduct at ``volts``: 0 A at 0 V, where
        the simulated array takes no reading and a real SMU reads (next to) nothing."""
        if volts == 0:
            return 0.0
        return self.on_bench(lambda: self.bench.measure_current(volts))

    def sweep_currents(self, levels: list[float], duration: float) -> list[float]:
        """The current at the end of every point of a sweep: each level held on the cells
        routed to the SMU for ``duration`` s (source delay and integration time)."""
        return self.on_bench(lambda: self.bench.hold_voltages(np.array(levels), duration)
                             ).tolist()
