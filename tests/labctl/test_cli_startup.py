"""The command line answers ``--help`` and bad input without importing the heavy stacks: they
load only inside the commands that use them (benchmarks/bench_startup.py times it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "numba", "h5py", "matplotlib", "mock_hw.array")


def imported_after(code: str) -> set[str]:
    """Which of HEAVY a fresh interpreter has imported after running ``code``."""
    probe = (f"{code}\nimport sys\n"
             f"print('imported:', *(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    last = run.stdout.splitlines()[-1].split()
    assert last[0] == "imported:", run.stdout
    return set(last[1:])


def test_the_command_line_imports_no_heavy_stack() -> None:
    assert imported_after("import labctl.cli") == set()


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["program", "--levels", "1"],
                                  ["train", "--levels", "1"],
                                  ["train", "--data-dir", "/nonexistent/labctl-datasets"]])
def test_help_and_bad_input_answer_without_the_heavy_stacks(argv: list[str]) -> None:
    code = ("import sys\nfrom labctl.cli import app\n"
            f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass\n"
            "except Exception:\n    pass")
    assert imported_after(code) <= {"h5py"}  # program validates its archive path with h5py


def test_a_package_name_still_loads_its_module_on_first_use() -> None:
    assert imported_after("from labctl.learning import MetaplasticAdam") >= {"torch"}
