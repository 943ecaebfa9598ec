"""Every ``--seed`` is checked before it reaches a generator: NumPy takes no seed below 0 and
PyTorch none above 2**64 - 1, and either would end the command in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import labctl
from drivers.errors import ConfigError
from tests.labctl.cli_runner import run_cli

COMMANDS = [
    ["train", "--limit", "20", "--epochs", "1"], ["program"], ["read"], ["iv"], ["endurance"],
    ["retention"], ["disturb"], ["mock-server"], ["calibrate", "missing.h5", "--out", "m.toml"],
]


def run(*args: str) -> tuple[int, str]:
    """Exit code and output of ``labctl ARGS``; mock-server, which would serve forever if the
    seed got through, in a process of its own with a time limit."""
    if args[0] != "mock-server":
        return run_cli(*args)
    done = subprocess.run([sys.executable, "-m", "labctl", *args], capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("seed", "bound"), [(-1, "greater than or equal to 0"),
                                             (2**64, f"less than or equal to {2**64 - 1}")])
def test_a_seed_out_of_range_is_one_line_and_a_failing_exit(
        command: list[str], seed: int, bound: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, text = run(*command, "--seed", str(seed))
    assert code != 0
    assert text.strip().splitlines() == [f"error: invalid --seed: Input should be {bound}"]


def test_the_fault_seed_of_the_mock_server_is_checked_too() -> None:
    code, text = run("mock-server", "--fault-seed", "-1")
    assert code != 0 and text.strip() == ("error: invalid --fault-seed: Input should be "
                                          "greater than or equal to 0")


def test_the_library_refuses_it_as_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid --seed"):
        labctl.open_bench("mock", seed=-1)


@pytest.mark.parametrize("seed", [0, 2**64 - 1])
def test_the_ends_of_the_range_open_a_bench(seed: int) -> None:
    with labctl.open_bench("mock", seed=seed) as bench:
        assert bench.backend == "mock"
