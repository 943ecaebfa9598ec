"""The ``labctl`` Typer application and its error boundary."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from drivers.errors import LabError
from mock_hw.errors import SimulationError

app = typer.Typer(
    name="labctl",
    help="Drive a 1T1R HfO2 RRAM chip (or its simulation): program, read, compute, train.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)
"""Progress, messages and errors."""
report = Console()
"""Results: tables and summaries (stdout, so they can be redirected)."""
_debug = False


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and raw instrument I/O."),
) -> None:
    global _debug
    _debug = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def main() -> None:
    """Console entry point: run the app, turning deliberate errors into one line and exit 2."""
    try:
        app()
    except (LabError, SimulationError) as err:
        if _debug:
            raise
        console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False,
                      soft_wrap=True)
        sys.exit(2)
