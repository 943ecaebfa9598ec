"""Declarative instrument base: each setting is one class attribute with its command strings.

A setting declared with ``control``/``measurement`` knows its query and command strings, how
to validate a value (instrument range, then the bench's ``Interlock``) and its SI unit, and
carries a one-line docstring such as "Control the source voltage in V (float, strictly from
-210 to 210)." Values are validated before anything is written. A setting that is an output
level (``level="smu"``) is also checked against every line routed to that output, and the
interlock learns the new level once the instrument has it.
Command strings are ``str.format`` templates: ``{value}`` is the value on the wire and any
other field (e.g. ``{ch}``) comes from the instrument's ``command_fields``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from drivers.errors import ConfigError, GarbledReply, IdentityMismatch, InstrumentError
from drivers.safety import Interlock, Source
from drivers.transport import LineTransport

SafetyCheck = Callable[[Interlock, Any], object]


class Validator(ABC):
    """Checks one value against an instrument's accepted values."""

    @abstractmethod
    def check(self, owner: str, value: Any) -> Any:
        """Return the value if accepted, else raise ``ConfigError`` naming what is allowed."""

    @abstractmethod
    def describe(self) -> str:
        """The accepted values, for the docstring (e.g. "strictly from 0 to 1")."""

    def resolve(self, instrument: Instrument) -> Validator:
        """The validator that applies to this instrument (itself unless it varies by model)."""
        return self


@dataclass(frozen=True)
class StrictRange(Validator):
    """A closed numeric interval."""

    low: float
    high: float

    def check(self, owner: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{owner} must be a number, not {value!r}")
        if not self.low <= value <= self.high:
            raise ConfigError(
                f"{owner} = {value!r} is outside the instrument's range "
                f"{self.low:g} to {self.high:g}; choose a value in range"
            )
        return float(value)

    def describe(self) -> str:
        return f"strictly from {self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class RangeByVariant(Validator):
    """A range that depends on the model variant the ``*IDN?`` reply named (e.g. a 2636B
    sources smaller current limits than a 2602B); ``default`` applies to the others."""

    default: StrictRange
    variants: Mapping[tuple[str, ...], StrictRange]

    def resolve(self, instrument: Instrument) -> Validator:
        return next((rng for names, rng in self.variants.items()
                     if instrument.variant in names), self.default)

    def check(self, owner: str, value: Any) -> float:
        return self.default.check(owner, value)

    def widest(self) -> StrictRange:
        """The range over every model: what a check made before the model is known allows."""
        ranges = [self.default, *self.variants.values()]
        return StrictRange(min(r.low for r in ranges), max(r.high for r in ranges))

    def describe(self) -> str:
        others = "; ".join(f"{rng.describe()} on {'/'.join(names)}"
                           for names, rng in self.variants.items())
        return f"{self.default.describe()}; {others}"


@dataclass(frozen=True)
class StrictSet(Validator):
    """A finite set of accepted values."""

    values: tuple[Any, ...]

    def check(self, owner: str, value: Any) -> Any:
        if value not in self.values:
            allowed = ", ".join(repr(v) for v in self.values)
            raise ConfigError(f"{owner} = {value!r} is not accepted; choose one of {allowed}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def wire_number(value: float) -> str:
    """Format a number for the wire: shortest form with 9 significant digits."""
    return format(value, ".9g")


class Setting:
    """Descriptor for one instrument setting (see ``control`` and ``measurement``)."""

    def __init__(
        self,
        verb: str,
        get_cmd: str | None,
        set_cmd: str | None,
        doc: str,
        *,
        validator: Validator | None = None,
        units: str = "",
        safety: SafetyCheck | None = None,
        level: Source | None = None,
        values: Mapping[Any, str] | None = None,
        parse: Callable[[str], Any] = float,
        kind: str | None = None,
    ) -> None:
        if values is not None and validator is None:
            validator = StrictSet(tuple(values))
        if kind is None:
            bools = values is not None and all(isinstance(v, bool) for v in values)
            kind = "bool" if bools else ("str" if values is not None else "float")
        self.get_cmd = get_cmd
        self.set_cmd = set_cmd
        self.validator = validator
        self.units = units
        self.safety = safety
        self.level = level
        self.values = values
        self.parse = parse
        self.name = ""
        in_units = f" in {units}" if units else ""
        accepted = f", {validator.describe()}" if validator else ""
        limit = "; within the setup's safety limits" if safety or level else ""
        self.__doc__ = f"{verb} {doc}{in_units} ({kind}{accepted}{limit})."

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def validate(self, instrument: Instrument, value: Any) -> Any:
        """Check ``value`` against the instrument's range, then the setup's safety limits."""
        value = self._check(instrument, value)
        if self.level is not None:
            instrument.interlock.check_level(self.level, value)
        return value

    def _check(self, instrument: Instrument, value: Any) -> Any:
        """The checks of ``validate`` that do not depend on the output level."""
        owner = f"{type(instrument).__name__}.{self.name}"
        if self.validator is not None:
            value = self.validator.resolve(instrument).check(owner, value)
        if self.safety is not None:
            self.safety(instrument.interlock, value)
        return value

    def settle(self, instrument: Instrument, value: float) -> None:
        """Tell the interlock the instrument's output level is now ``value``."""
        if self.level is not None:
            instrument.interlock.settle_level(self.level, (id(instrument), self.name), value)

    def __get__(self, instrument: Instrument | None, owner: type) -> Any:
        if instrument is None:
            return self
        if self.get_cmd is None:
            raise AttributeError(f"{owner.__name__}.{self.name} can be set but not read")
        query = self.get_cmd.format(**instrument.command_fields())
        reply = instrument.ask(query)
        try:
            return self.parse(reply)
        except (ValueError, KeyError, OverflowError):
            raise GarbledReply(instrument.transport.resource_name, query, reply,
                               f"{type(instrument).__name__}.{self.name}") from None

    def __set__(self, instrument: Instrument, value: Any) -> None:
        if self.set_cmd is None:
            raise AttributeError(f"{type(instrument).__name__}.{self.name} is read-only")
        value = self._check(instrument, value)
        if self.level is not None:  # checks the level, and holds it until the write is done
            instrument.interlock.hold_level(self.level, (id(instrument), self.name), value)
        wire = self.values[value] if self.values is not None else wire_number(value)
        instrument.write(self.set_cmd.format(value=wire, **instrument.command_fields()))
        self.settle(instrument, value)


def control(get_cmd: str, set_cmd: str, doc: str, **options: Any) -> Setting:
    """A setting that can be read and written."""
    return Setting("Control", get_cmd, set_cmd, doc, **options)


def measurement(get_cmd: str, doc: str, **options: Any) -> Setting:
    """A read-only value the instrument measures."""
    return Setting("Measure", get_cmd, None, doc, **options)


def parse_bool(reply: str) -> bool:
    """Parse a 0/1 reply, in any numeric form ("1", "+1", "1.00000e+00")."""
    return bool(round(float(reply)))


def parse_word(reply: str) -> str:
    """Parse an enumerated reply: unquoted, upper case."""
    return reply.strip().strip('"').upper()


class Instrument(ABC):
    """One instrument on a line transport, checked by the bench's interlock.

    Subclasses declare ``model`` (for messages) and ``identity_pattern`` (a regular
    expression the ``*IDN?`` reply must match; its group ``variant``, if any, names the
    model within the series), the settings as class attributes, and how to read the error
    queue.
    """

    model: ClassVar[str] = "instrument"
    identity_pattern: ClassVar[str] = ""
    variant = ""
    """The model within the series, from ``verify_identity`` (e.g. "2602B")."""

    def __init__(self, transport: LineTransport, interlock: Interlock) -> None:
        self.transport = transport
        self.interlock = interlock

    def command_fields(self) -> dict[str, str]:
        """Fields other than ``{value}`` substituted into command templates."""
        return {}

    def write(self, line: str) -> None:
        """Send one command line."""
        self.transport.write(line)

    def ask(self, line: str) -> str:
        """Send a query and return its reply."""
        return self.transport.query(line).strip()

    @property
    def identity(self) -> str:
        """The instrument's ``*IDN?`` reply (maker, model, serial, firmware)."""
        return self.ask("*IDN?")

    def verify_identity(self) -> str:
        """Return ``identity``, raising ``IdentityMismatch`` if it is not this model."""
        idn = self.identity
        match = re.search(self.identity_pattern, idn, re.IGNORECASE)
        if match is None:
            raise IdentityMismatch(self.transport.resource_name, self.model, idn)
        self.variant = (match.groupdict().get("variant") or "").upper()
        return idn

    @abstractmethod
    def error_queue(self) -> list[tuple[int, str]]:
        """Drain the instrument's error queue: (code, message) pairs, oldest first."""

    def check_errors(self) -> None:
        """Drain the error queue and raise ``InstrumentError`` for the first entry, if any."""
        errors = self.error_queue()
        if errors:
            code, message = errors[0]
            more = f" (and {len(errors) - 1} more: {errors[1:]})" if len(errors) > 1 else ""
            raise InstrumentError(
                f"{self.model} at {self.transport.resource_name}", code, message + more
            )

    def close(self) -> None:
        """Release the transport."""
        self.transport.close()


class ScpiInstrument(Instrument):
    """An instrument with a SCPI error queue (``SYST:ERR?`` until ``0,"No error"``)."""

    max_errors: ClassVar[int] = 32

    def error_queue(self) -> list[tuple[int, str]]:
        errors: list[tuple[int, str]] = []
        for _ in range(self.max_errors):
            code_text, _, message = self.ask("SYST:ERR?").partition(",")
            code = int(code_text)
            if code == 0:
                break
            errors.append((code, message.strip().strip('"')))
        return errors
