"""Command-line interface: ``labctl <command>``. Each command lives in its own module."""

from labctl.cli import archives, data, mock_server, program, train  # noqa: F401  (commands)
from labctl.cli.app import app, main

__all__ = ["app", "main"]
