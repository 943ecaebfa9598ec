"""Setup files are validated on load against the instruments they name, and the instrument
registry is the one list of models every part of labctl derives its models from."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drivers.errors import ConfigError
from drivers.instrument import Instrument
from drivers.transport import LoopbackTransport
from labctl.backends import MOCK_LIMITS
from labctl.instruments import MODELS, ROLES, lookup, models
from labctl.setup import Setup, load_setup
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.instruments.base import LineEmulator
from tests.interlock import lax

SETUPS = Path(__file__).parents[2] / "data" / "setups"


def edited(tmp_path: Path, old: str, new: str, name: str = "example-bench.toml") -> Path:
    text = (SETUPS / name).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_example_setups_load() -> None:
    for path in SETUPS.glob("*.toml"):
        assert isinstance(load_setup(path), Setup)


def test_the_mock_backend_has_the_limits_of_the_mock_server_setup() -> None:
    assert load_setup(SETUPS / "mock-server.toml").safety == MOCK_LIMITS


@pytest.mark.parametrize(("old", "new", "message"), [
    ("set_max = 2.5", "set_max = 4.5",
     "programming.set_max = 4.5 V is beyond safety.bit_line_voltage_max = 4 V"),
    ("reset_gate = 2.7", "reset_gate = 4.8",
     "programming.reset_gate = 4.8 V is beyond safety.gate_voltage_max = 3.5 V"),
    ("gate_max = 1.6", "gate_max = 3.6",
     "programming.gate_max = 3.6 V is beyond safety.gate_voltage_max = 3.5 V"),
    ("reset_max = 2.5", "reset_max = 3.2",
     "programming.reset_max = 3.2 V is beyond safety.source_line_voltage_max = 3 V"),
    ("v_read = 0.2", "v_read = 0.35",
     "programming.v_read = 0.35 V is beyond safety.smu_voltage_max = 0.3 V"),
    ("reset_width = 500e-9", "reset_width = 20e-9",
     "programming.reset_width = 2e-08 s is outside"),
    ("smu_voltage_max = 0.3", "smu_voltage_max = 250",
     "safety.smu_voltage_max = 250 is beyond what the smu (keithley2600b) can do (200)"),
    ("compliance_current_max = 1e-3", "compliance_current_max = 2",
     "safety.compliance_current_max = 2 is beyond what the smu (keithley2600b)"),
    ('model = "keithley2600b"', 'model = "keithley2450"',
     "[smu.model] unknown model 'keithley2450'; known smu models: keithley2400, keithley2600b"),
    ('model = "keysight33500b"', 'model = "rigol"',
     "[pulse_generator.model] unknown model 'rigol'; known pulse generator models: "
     "keysight33500b"),
    ('channel = "a"', 'channel = "c"', "[smu.channel]"),
    ("resource = ", "resorce = ", "[smu.resorce] unknown key; did you mean 'resource'?"),
    ("[safety]", "[safety]\nbit_line_max = 3.0",
     "[safety.bit_line_max] unknown key; remove it or check its spelling"),
    ("gate_voltage_max = 3.5", "gate_voltage_max = inf",
     "[safety.gate_voltage_max] Input should be a finite number"),
    ("source_line_voltage_max = 3.0", "source_line_voltage_max = nan",
     "[safety.source_line_voltage_max] Input should be a finite number"),
])
def test_a_setup_beyond_its_limits_is_refused_in_one_line(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_setup(edited(tmp_path, old, new))
    text = str(raised.value)
    assert message in text and "\n" not in text


def test_a_setup_without_a_model_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[smu.model\] no model given; known smu models"):
        load_setup(edited(tmp_path, 'model = "keithley2600b"\n', ""))


@pytest.mark.parametrize("entry", MODELS, ids=lambda m: m.name)
def test_every_registered_model_has_a_driver_schema_and_emulator_that_fit(entry) -> None:
    assert issubclass(entry.driver, ROLES[entry.role])
    assert entry.setup.model_fields["model"].annotation.__args__ == (entry.name,)
    emulator = entry.emulator_class()
    assert issubclass(emulator, LineEmulator)
    sim = SimulatedBench(RRAMArray(DeviceModel(rows=4, cols=4), seed=0))
    section = entry.setup.model_validate({"model": entry.name,
                                          "resource": "TCPIP0::127.0.0.1::5025::SOCKET"})
    handler = emulator(sim, lock=threading.RLock(), **section.emulator_options()).handle
    driver = entry.open(LoopbackTransport(handler, name=entry.role), lax(), section)
    assert isinstance(driver, Instrument)
    driver.verify_identity()
    driver.check_errors()


def test_an_unknown_model_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="keithley2400, keithley2600b"):
        lookup("smu", "hp4156")
    assert list(models("pulse_generator")) == ["keysight33500b"]
