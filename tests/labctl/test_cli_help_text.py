"""Every option's help reaches the user whole: the CLI renders help as rich markup, where a
bare ``[chip]`` is a style tag and vanishes, so a setup table named in help is escaped."""

from __future__ import annotations

from typing import Any

import typer.main
from rich.text import Text

from labctl.cli import app


def _helps(command: Any, path: str = "labctl") -> list[tuple[str, str]]:
    found = [(f"{path} {p.name}", p.help) for p in command.params
             if isinstance(getattr(p, "help", None), str)]
    if command.help:
        found.append((path, command.help))
    for name, sub in getattr(command, "commands", {}).items():
        found += _helps(sub, f"{path} {name}")
    return found


def test_no_help_text_is_eaten_as_markup() -> None:
    helps = _helps(typer.main.get_command(app))
    assert len(helps) > 100
    eaten = [where for where, text in helps
             if Text.from_markup(text).plain != text.replace("\\[", "[")]
    assert eaten == []
