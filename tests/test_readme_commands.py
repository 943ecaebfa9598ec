"""The README's two commands are the ones CI runs and the ones the Makefile defines."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]


def readme_commands() -> list[str]:
    """The commands of the README's first code block, comments stripped."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None, "README.md has no bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith(
        ("#", "set ", "cd ", "export "))]


def test_the_readme_opens_with_make_run_and_make_test() -> None:
    assert readme_commands() == ["make run", "make test"]


def test_ci_runs_the_readme_test_command_verbatim_and_nothing_else() -> None:
    assert ci_commands() == [readme_commands()[1]]


def test_both_commands_are_make_targets_that_install_before_they_run() -> None:
    plan = subprocess.run(["make", "--dry-run", "--always-make", "run", "test"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    install = plan.index("pip install --quiet torch==2.13.0")
    assert install < plan.index("pip install --quiet -e '.[test]'")
    assert install < plan.index("labctl train --backend mock --plot")
    assert install < plan.index("python -m pytest -q")


def test_make_help_lists_the_targets() -> None:
    shown = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    assert all(f"make {target}" in shown for target in ("run", "test", "help"))


def test_make_without_a_recent_python_says_what_to_install(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):  # a clone without its environment yet
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\nexit 1\n")  # what a Python older than 3.11 answers the check
    old.chmod(0o755)
    done = subprocess.run(["make", "run", f"PYTHON={old}"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode != 0
    assert "labctl needs Python 3.11 or newer" in done.stderr
    assert "make PYTHON=/path/to/python3.11" in done.stderr
    assert not (tmp_path / ".venv").exists()
