"""Command-line interface: ``labctl <command>``. Each command lives in its own module."""

from labctl.cli import archives, check, data, mock_server, program, train  # noqa: F401
from labctl.cli.app import app, main

__all__ = ["app", "main"]
