"""Run ``labctl`` in-process through its real entry point (error boundary included)."""

from __future__ import annotations

import contextlib
import io
import sys

from labctl.cli import main


def run_cli(*args: str) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr) of ``labctl ARGS``."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = ["labctl", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = argv
    return code, out.getvalue()
