"""``labctl endurance --backend chip`` through ``labctl mock-server`` on loopback: the
33500B's arbitrary-waveform bursts cross pyvisa-py for real, and the cells wear out."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import start_mock_server, stop
from tests.labctl.cli_runner import run_cli


def test_endurance_bursts_through_the_mock_server(tmp_path: Path) -> None:
    server = start_mock_server(tmp_path, tiles=1)
    out = tmp_path / "end.h5"
    try:
        code, text = run_cli("endurance", "--backend", "chip", "--setup", str(server.setup),
                             "--cells", "0:0,0:1,2:5", "--cycles", "3e6",
                             "--reads-per-decade", "4", "--out", str(out))
        assert code == 0, text
    finally:
        stop(server)
    code, text = run_cli("inspect", str(out), "--json")
    s = json.loads(text)
    assert s["backend"] == "chip" and s["cells"] == 3
    assert s["read_points"][0]["window_median"] > 40e-6
    assert "33521B" in s["instruments"]["pulse_generator"]
    assert s["cycles_reached"] > 1000
