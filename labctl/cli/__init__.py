"""Command-line interface: ``labctl <command>``. Each command lives in its own module.

Commands import what is heavy (torch, the simulated array, h5py, matplotlib) inside their
body, after their options are checked, so that ``--help`` and bad input answer at once.
"""

from labctl.cli import (  # noqa: F401
    archives,
    calibrate,
    check,
    data,
    disturb,
    endurance,
    evaluate,
    export,
    iv,
    mock_server,
    program,
    read,
    retention,
    sweep,
    train,
)
from labctl.cli.app import app, main

__all__ = ["app", "main"]
