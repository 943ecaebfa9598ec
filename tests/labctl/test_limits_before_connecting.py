"""A characterization beyond the setup's safety limits is refused from the setup file alone,
before any instrument is opened: nothing listens on the setup's ports here, so a connection
attempt would fail with a different message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.labctl.cli_runner import run_cli


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    text = (Path("data/setups/mock-server.toml").read_text()
            .replace("5025", "9").replace("5026", "9").replace("5027", "9")
            .replace("smu_voltage_max = 4.0", "smu_voltage_max = 0.25")
            .replace("pulse_voltage_max = 4.0", "pulse_voltage_max = 2.6"))
    path = tmp_path / "narrow.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("command", "message"), [
    (["endurance", "--v-reset", "2.8"], "pulse_voltage_max"),
    (["disturb", "--stress", "dc", "--v-stress", "0.3"], "smu_voltage_max"),
    (["iv", "--v-set", "1.0"], "smu_voltage_max"),
])
def test_the_setups_limits_refuse_before_any_connection(command: list[str], message: str,
                                                        setup: Path, tmp_path: Path) -> None:
    code, text = run_cli(*command, "--backend", "chip", "--setup", str(setup), "--cells", "0:0",
                         "--out", str(tmp_path / "x.h5"))
    assert code == 2 and message in text and "nothing was sent" in text, text
    assert len(text.strip().splitlines()) == 1 and not (tmp_path / "x.h5").exists()
