"""A training run on the simulated chip reports how its devices wore: switching pulses per
device against each device's endurance budget (SET/RESET cycles, two pulses each), exactly as
the simulation counted them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labctl.archive import Archive
from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory")

SMALL = ["--hidden", "16", "--epochs", "1", "--limit", "300"]


def summary_of(path: Path) -> dict:
    with Archive(path) as archive:
        return archive.stored_summary


def test_the_default_chip_outlives_the_protocol(tmp_path: Path):
    code, out = run_cli("train", "--backend", "mock", *SMALL, "--out", str(tmp_path / "a.h5"))
    assert code == 0, out
    wear = summary_of(tmp_path / "a.h5")["wear"]
    assert wear["devices"] == 2 * (784 * 16 + 16 * 10)
    assert wear["devices_worn"] == 0 and 0 < wear["budget_used_max"] < 0.1
    assert wear["switching_pulses_max"] >= 1 and wear["switching_pulses_mean"] > 0
    assert wear["endurance_median"] == 1e6
    assert "devices worn out 0 of 25408" in out


def test_a_chip_of_short_endurance_is_seen_to_wear_out(tmp_path: Path):
    code, out = run_cli("train", "--backend", "mock", *SMALL, "--device",
                        "endurance_median=10,endurance_sigma_ln=0", "--out",
                        str(tmp_path / "b.h5"))
    assert code == 0, out
    wear = summary_of(tmp_path / "b.h5")["wear"]
    assert wear["endurance_median"] == 10
    assert wear["devices_worn"] > 0 and wear["budget_used_max"] > 1
    assert wear["switching_pulses_max"] > 20  # 10 cycles: 20 pulses


def test_the_ideal_backend_has_no_devices_to_wear(tmp_path: Path):
    code, out = run_cli("train", *SMALL, "--out", str(tmp_path / "c.h5"))
    assert code == 0, out
    assert "wear" not in summary_of(tmp_path / "c.h5") and "devices worn" not in out
