"""A SCPI command parser and emulator base, following SCPI-1999 and IEEE 488.2 rules.

Headers match case-insensitively in their short form (the upper-case letters of the
mnemonic) or long form; ``[optional]`` nodes may be left out; a ``#`` node takes an
optional numeric suffix (only 1 exists here). ``;`` separates commands in one line, and a
header not starting with ``:`` continues from the previous command's path. Replies to
several queries in one line are joined by ``;``. As on the Keithley 2400 ("Command execution
rules", manual section 14), the commands before an erroneous one run and those after it do
not.

Junk is refused with the IEEE 488.2/SCPI command errors: a control character (other than
tab), DEL or a non-ASCII character anywhere in a command, or a character no header may hold
(such as ``&`` or ``,``), is -101 "Invalid character"; a misplaced one (an empty mnemonic
``::``, a ``?`` inside the header, a mnemonic starting with a digit) is -102 "Syntax error";
a mnemonic over 12 characters -112 "Program mnemonic too long"; a well-formed but unknown
header -113 "Undefined header". (IEEE 488.2 7.4.1.2 would read most control characters as
white space; the emulators refuse them, as instruments that check for invalid characters do.)
Numbers are <NRf> (decimal digits, point and exponent): anything else is -104.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mock_hw.instruments.base import LineEmulator, no_parameter
from mock_hw.instruments.errorqueue import InstrumentCommandError


def undefined_header() -> InstrumentCommandError:
    """The error for a header this instrument does not know (or not in this form)."""
    return InstrumentCommandError(-113, "Undefined header")


_NODE = re.compile(r"(\[)?:?([A-Za-z]+)(#)?\]?")
_PRINTABLE = re.compile(r"[\t\x20-\x7e]*")
_HEADER_CHARS = re.compile(r"[A-Za-z0-9_:?*]+")
_COMMON_HEADER = re.compile(r"\*[A-Za-z][A-Za-z0-9_]*\??")
_PROGRAM_HEADER = re.compile(r":?[A-Za-z][A-Za-z0-9_]*(?::[A-Za-z][A-Za-z0-9_]*)*\??")
_MNEMONIC = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TOKEN = re.compile(r"([A-Z]+)([0-9]*)")
_NRF = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_MNEMONIC = 12
_SPECIAL = {"MIN": "MIN", "MINIMUM": "MIN", "MAX": "MAX", "MAXIMUM": "MAX",
            "DEF": "DEF", "DEFAULT": "DEF"}


@dataclass(frozen=True)
class _Node:
    short: str
    long: str
    optional: bool
    suffix: bool

    def accepts(self, token: str) -> bool:
        match = _TOKEN.fullmatch(token)
        if match is None:
            return False
        base, digits = match.groups()
        if digits and (not self.suffix or digits != "1"):
            return False
        return base in (self.short, self.long)


def mnemonic(long_form: str) -> tuple[str, str]:
    """Short and long form of a mnemonic written like ``VOLTage``."""
    return "".join(c for c in long_form if c.isupper()), long_form.upper()


class Header:
    """A compiled header pattern such as ``[:SOURce#]:VOLTage[:LEVel]``."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.nodes = tuple(
            _Node(*mnemonic(name), optional=bool(opt), suffix=bool(suf))
            for opt, name, suf in _NODE.findall(pattern)
        )

    def matches(self, tokens: list[str]) -> bool:
        return self._match(tokens, 0, 0)

    def _match(self, tokens: list[str], i: int, j: int) -> bool:
        if j == len(self.nodes):
            return i == len(tokens)
        node = self.nodes[j]
        if i < len(tokens) and node.accepts(tokens[i]) and self._match(tokens, i + 1, j + 1):
            return True
        return node.optional and self._match(tokens, i, j + 1)


Setter = Callable[[str], None]
Getter = Callable[[], str]


def check_header(header: str) -> None:
    """Refuse a malformed header: -101, -102 or -112 as the module docstring says."""
    if not _HEADER_CHARS.fullmatch(header):
        raise InstrumentCommandError(-101, "Invalid character")
    pattern = _COMMON_HEADER if header.startswith("*") else _PROGRAM_HEADER
    if not pattern.fullmatch(header):
        raise InstrumentCommandError(-102, "Syntax error")
    if any(len(name) > MAX_MNEMONIC for name in _MNEMONIC.findall(header)):
        raise InstrumentCommandError(-112, "Program mnemonic too long")


def split_units(line: str) -> list[str]:
    """Split a program message at ``;`` outside quoted strings."""
    units, current, quote = [], [], ""
    for char in line:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ";":
            units.append("".join(current))
            current = []
            continue
        current.append(char)
    units.append("".join(current))
    return [unit.strip() for unit in units if unit.strip()]


def parse_number(args: str, low: float, high: float, default: float) -> float:
    """A numeric parameter (or MIN/MAX/DEF) within [low, high]; SCPI errors otherwise."""
    text = args.strip()
    if not text:
        raise InstrumentCommandError(-109, "Missing parameter")
    special = _SPECIAL.get(text.upper())
    if special:
        return {"MIN": low, "MAX": high, "DEF": default}[special]
    if not _NRF.fullmatch(text):
        raise InstrumentCommandError(-104, "Data type error")
    value = float(text)
    if not low <= value <= high:
        raise InstrumentCommandError(-222, "Data out of range")
    return value


def parse_bool(args: str) -> bool:
    """A boolean parameter: ON, OFF, 1 or 0."""
    text = args.strip().upper()
    if not text:
        raise InstrumentCommandError(-109, "Missing parameter")
    if text in ("ON", "1"):
        return True
    if text in ("OFF", "0"):
        return False
    raise InstrumentCommandError(-224, "Illegal parameter value")


def parse_choice(args: str, choices: tuple[str, ...]) -> str:
    """A character parameter among ``choices`` (written like ``TRIGgered``), short form back."""
    text = args.strip().strip("\"'").upper()
    if not text:
        raise InstrumentCommandError(-109, "Missing parameter")
    for choice in choices:
        short, long_form = mnemonic(choice)
        if text in (short, long_form):
            return short
    raise InstrumentCommandError(-224, "Illegal parameter value")


class ScpiEmulator(LineEmulator):
    """An instrument speaking SCPI: subclasses register headers with ``command``.

    Besides the IEEE 488.2 common commands of every emulator, it answers
    ``:SYSTem:ERRor[:NEXT]?`` and ``:SYSTem:ERRor:COUNt?`` (the number of queued entries).
    """

    no_error = '0,"No error"'

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._commands: list[tuple[Header, Setter | None, Getter | None]] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.define()

    def define(self) -> None:
        """Register the instrument's commands (subclasses extend, calling super)."""
        self.command(":SYSTem:ERRor[:NEXT]", get=self._next_error)
        self.command(":SYSTem:ERRor:COUNt",
                     get=lambda: self.integer_format.format(len(self.status.errors)))

    def _next_error(self) -> str:
        entry = self.status.errors.pop()
        return self.no_error if entry is None else f'{entry[0]},"{entry[1]}"'

    def command(self, pattern: str, *, set: Setter | None = None, get: Getter | None = None
                ) -> None:
        """Register a header; ``set`` receives the parameter text, ``get`` returns a reply."""
        self._commands.append((Header(pattern), set, get))

    def common(self, name: str, action: Callable[[], str | None]) -> None:
        """Register a common command without parameter, such as ``*TRG``."""
        self._common[name] = no_parameter(action)

    def execute(self, line: str) -> str | None:
        replies: list[str] = []
        path: list[str] = []
        try:
            for unit in split_units(line):
                if not _PRINTABLE.fullmatch(unit):
                    raise InstrumentCommandError(-101, "Invalid character")
                header, *rest = unit.split(maxsplit=1)
                args = rest[0] if rest else ""
                check_header(header)
                if header.startswith("*"):
                    reply = self._run_common(header.upper(), args)
                else:
                    tokens = header.upper().rstrip("?").strip(":").split(":")
                    if not header.startswith(":") and path:
                        tokens = path + tokens
                    path = tokens[:-1]
                    reply = self._run(tokens, header.endswith("?"), args)
                if reply is not None:
                    replies.append(reply)
        except InstrumentCommandError as err:
            self.status.push(err.code, err.message)
        return ";".join(replies) if replies else None

    def _run_common(self, header: str, args: str) -> str | None:
        action = self._common.get(header)
        if action is None:
            raise undefined_header()
        return action(args)

    def _run(self, tokens: list[str], query: bool, args: str) -> str | None:
        for header, setter, getter in self._commands:
            if header.matches(tokens):
                if query:
                    if getter is None:
                        raise undefined_header()
                    return getter()
                if setter is None:
                    raise undefined_header()
                setter(args)
                return None
        raise undefined_header()
