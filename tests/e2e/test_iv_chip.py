"""``labctl iv --backend chip`` through ``labctl mock-server`` on loopback, with either SMU
model: the list sweeps cross pyvisa-py for real; a bench limited to reads refuses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import start_mock_server, stop
from tests.labctl.cli_runner import run_cli


@pytest.mark.parametrize("smu_model", ["keithley2400", "keithley2600b"])
def test_iv_sweeps_through_the_mock_server(tmp_path: Path, smu_model: str) -> None:
    server = start_mock_server(tmp_path, smu_model=smu_model, tiles=1)
    try:
        reads_only = server.setup.read_text()
        code, text = run_cli("iv", "--backend", "chip", "--setup", str(server.setup),
                             "--cells", "0:0", "--out", str(tmp_path / "refused.h5"))
        assert code == 2 and "smu_voltage_max" in text, text
        server.setup.write_text(reads_only.replace("smu_voltage_max = 0.5",
                                                   "smu_voltage_max = 4.0"))
        out = tmp_path / "iv.h5"
        code, text = run_cli("iv", "--backend", "chip", "--setup", str(server.setup),
                             "--cells", "0:0,3:7", "--cycles", "2", "--out", str(out))
        assert code == 0, text
    finally:
        stop(server)
    code, text = run_cli("inspect", str(out), "--json")
    s = json.loads(text)
    assert s["backend"] == "chip" and s["cells"] == 2 and s["branches"] == 2 + 2 * 2 * 2
    assert s["set_yield"] == 1.0 and 0.3 < s["v_set"]["median"] < 1.0
    assert {"keithley2400": "MODEL 2400", "keithley2600b": "Model 2636B"}[smu_model] in s[
        "instruments"]["smu"]
