"""A SCPI command parser and emulator base, following SCPI-1999 and IEEE 488.2 rules.

Headers match case-insensitively in their short form (the upper-case letters of the
mnemonic) or long form; ``[optional]`` nodes may be left out; a ``#`` node takes an
optional numeric suffix (only 1 exists here). ``;`` separates commands in one line, and a
header not starting with ``:`` continues from the previous command's path. Replies to
several queries in one line are joined by ``;``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mock_hw.instruments.base import LineEmulator
from mock_hw.instruments.errorqueue import InstrumentCommandError


def undefined_header() -> InstrumentCommandError:
    """The error for a header this instrument does not know (or not in this form)."""
    return InstrumentCommandError(-113, "Undefined header")


_NODE = re.compile(r"(\[)?:?([A-Za-z]+)(#)?\]?")
_SPECIAL = {"MIN": "MIN", "MINIMUM": "MIN", "MAX": "MAX", "MAXIMUM": "MAX",
            "DEF": "DEF", "DEFAULT": "DEF"}


@dataclass(frozen=True)
class _Node:
    short: str
    long: str
    optional: bool
    suffix: bool

    def accepts(self, token: str) -> bool:
        base, digits = re.fullmatch(r"([A-Z]*)(\d*)", token).groups()  # type: ignore[union-attr]
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
    try:
        value = float(text)
    except ValueError:
        raise InstrumentCommandError(-104, "Data type error") from None
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
    """An instrument speaking SCPI: subclasses register headers with ``command``."""

    no_error = '0,"No error"'
    identity = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._commands: list[tuple[Header, Setter | None, Getter | None]] = []
        self._common: dict[str, Callable[[], str | None]] = {}
        self.define()
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def define(self) -> None:
        """Register the instrument's commands (subclasses extend, calling super)."""
        self.common("*IDN?", lambda: self.identity)
        self.common("*RST", self.reset)
        self.common("*CLS", lambda: self.errors.clear())
        self.common("*OPC?", lambda: "1")
        self.common("*OPC", lambda: None)
        self.common("*WAI", lambda: None)
        self.command(":SYSTem:ERRor[:NEXT]", get=self._next_error)

    def _next_error(self) -> str:
        entry = self.errors.pop()
        return self.no_error if entry is None else f'{entry[0]},"{entry[1]}"'

    def command(self, pattern: str, *, set: Setter | None = None, get: Getter | None = None
                ) -> None:
        """Register a header; ``set`` receives the parameter text, ``get`` returns a reply."""
        self._commands.append((Header(pattern), set, get))

    def common(self, name: str, action: Callable[[], str | None]) -> None:
        """Register an IEEE 488.2 common command such as ``*IDN?``."""
        self._common[name] = action

    def execute(self, line: str) -> str | None:
        replies: list[str] = []
        path: list[str] = []
        try:
            for unit in split_units(line):
                header, _, args = unit.partition(" ")
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
            self.errors.push(err.code, err.message)
        return ";".join(replies) if replies else None

    def _run_common(self, header: str, args: str) -> str | None:
        action = self._common.get(header)
        if action is None:
            raise undefined_header()
        if args.strip():
            raise InstrumentCommandError(-108, "Parameter not allowed")
        return action()

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
