"""Scripted transcripts for driver tests, in the style of PyMeasure's ``expected_protocol``.

A test lists, in order, every line the driver must write and what the instrument answers
(``None`` for a command, which the instrument does not answer). The pairs are written from
the instrument's manual, not from ``mock_hw``, so a misreading the emulator shares with the
driver still fails here.

The scripted transport is strict the way a real instrument is:

- every line written must equal the next expected line, else the test fails with a diff;
- a reply exists only after a query: reading after a command fails (a real instrument would
  leave the read to time out);
- a reply must be read before the next line is written (SCPI instruments discard it and
  queue -410 "Query INTERRUPTED");
- when the ``with`` block ends, every pair must have been used.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

from drivers.instrument import Instrument
from drivers.safety import Interlock, SafetyLimits
from drivers.transport import LineTransport

Pair = tuple[str, str | None]
"""(line the driver must write, the instrument's reply or None for a command)."""

InstrumentT = TypeVar("InstrumentT", bound=Instrument)

CONTEXT = 3
"""How many lines before and after a mismatch the failure message shows."""


class TranscriptMismatch(AssertionError):  # noqa: N818 - it is an assertion failure
    """The driver's traffic differs from the scripted transcript."""


class ScriptedTransport(LineTransport):
    """A line transport that checks each written line against a script and plays replies."""

    def __init__(self, pairs: Sequence[Pair], *, name: str = "scripted") -> None:
        super().__init__(resource_name="scripted", name=name)
        self.pairs: list[Pair] = list(pairs)
        self.position = 0
        """Index of the next expected pair."""
        self._reply: str | None = None
        self._reply_to = ""

    @property
    def sent(self) -> list[str]:
        """The lines the driver has written so far (all of them matched the script)."""
        return [line for line, _ in self.pairs[: self.position]]

    def _context(self, index: int) -> str:
        """The script around ``index``: lines already matched, then those still expected."""
        rows = []
        for i in range(max(0, index - CONTEXT), min(len(self.pairs), index + CONTEXT + 1)):
            line, reply = self.pairs[i]
            mark = "ok " if i < index else (">> " if i == index else "   ")
            answer = "" if reply is None else f"  -> {reply!r}"
            rows.append(f"  {mark}{i + 1:3d}  {line!r}{answer}")
        return "\n".join(rows)

    def _fail(self, message: str) -> NoReturn:
        __tracebackhide__ = True
        raise TranscriptMismatch(f"{message}\nscript (ok = matched, >> = next):\n"
                                 f"{self._context(self.position)}")

    def _write(self, line: str) -> None:
        __tracebackhide__ = True
        if self._reply is not None:
            self._fail(f"the driver wrote {line!r} before reading the reply {self._reply!r} "
                       f"to {self._reply_to!r}")
        if self.position >= len(self.pairs):
            self._fail(f"the driver wrote {line!r} after all {len(self.pairs)} expected "
                       "lines were used")
        expected, reply = self.pairs[self.position]
        if line != expected:
            diff = "\n".join(difflib.ndiff([expected], [line]))
            self._fail(f"line {self.position + 1} differs (- expected, + written):\n{diff}")
        self.position += 1
        self._reply, self._reply_to = reply, line

    def _read(self) -> str:
        __tracebackhide__ = True
        if self._reply is None:
            self._fail(f"the driver read a reply after {self._reply_to!r}, which the script "
                       "says the instrument does not answer")
        reply, self._reply = self._reply, None
        return reply

    def close(self) -> None:
        """Nothing to release."""

    def assert_consumed(self) -> None:
        """Fail unless every pair was used and every reply read."""
        __tracebackhide__ = True
        if self._reply is not None:
            self._fail(f"the reply {self._reply!r} to {self._reply_to!r} was never read")
        if self.position < len(self.pairs):
            self._fail(f"{len(self.pairs) - self.position} expected line(s) were never "
                       "written")


def script_of(instrument: Instrument) -> ScriptedTransport:
    """The scripted transport an instrument from ``expected_protocol`` runs on."""
    transport = instrument.transport
    assert isinstance(transport, ScriptedTransport), "not built by expected_protocol"
    return transport


@contextmanager
def expected_protocol(
    instrument_class: type[InstrumentT],
    pairs: Sequence[Pair],
    *,
    limits: SafetyLimits | None = None,
    **kwargs: Any,
) -> Iterator[InstrumentT]:
    """Build ``instrument_class`` on a scripted transport and check the whole transcript.

    The constructor's own traffic is part of ``pairs``. ``limits`` are the bench's safety
    limits (the defaults if None); ``kwargs`` go to the constructor. If the ``with`` block
    raises, the exception propagates and the unused pairs are not reported.
    """
    transport = ScriptedTransport(pairs, name=instrument_class.__name__)
    interlock = Interlock(limits if limits is not None else SafetyLimits())
    instrument = instrument_class(transport, interlock, **kwargs)
    yield instrument
    transport.assert_consumed()
