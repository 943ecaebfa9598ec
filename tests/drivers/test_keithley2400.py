"""Keithley 2400 driver: exact SCPI transcripts, error queue, safety before bits."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError, IdentityMismatch, InstrumentError, SafetyError
from drivers.safety import Interlock, SafetyLimits
from drivers.smu import Keithley2400
from drivers.transport import LoopbackTransport
from mock_hw.instruments import Keithley2400Emulator, Keysight33500BEmulator
from tests.drivers.conftest import Recorder

LIMITS = SafetyLimits(smu_voltage_max=0.5, compliance_current_max=1e-3)


@pytest.fixture
def wire(bench):
    return Recorder(Keithley2400Emulator(bench).handle)


@pytest.fixture
def smu(wire):
    smu = Keithley2400(LoopbackTransport(wire), Interlock(LIMITS))
    wire.clear()
    return smu


def test_connect_checks_identity_resets_and_configures(wire):
    Keithley2400(LoopbackTransport(wire), Interlock(LIMITS), nplc=0.1)
    assert wire.sent() == ["*IDN?", "*RST", "*CLS", ":SOUR:FUNC VOLT", ':SENS:FUNC "CURR"',
                           ":SENS:CURR:NPLC 0.1", ":FORM:ELEM CURR", "SYST:ERR?"]


@pytest.mark.parametrize(("name", "value", "set_line", "get_line", "reply"), [
    ("source_function", "VOLT", ":SOUR:FUNC VOLT", ":SOUR:FUNC?", "VOLT"),
    ("source_voltage", 0.2, ":SOUR:VOLT:LEV 0.2", ":SOUR:VOLT:LEV?", "+2.000000E-01"),
    ("compliance_current", 1e-4, ":SENS:CURR:PROT 0.0001", ":SENS:CURR:PROT?",
     "+1.000000E-04"),
    ("sense_function", "CURR", ':SENS:FUNC "CURR"', ":SENS:FUNC?", '"CURR:DC"'),
    ("nplc", 2.0, ":SENS:CURR:NPLC 2", ":SENS:CURR:NPLC?", "+2.000000E+00"),
    ("data_elements", "CURR", ":FORM:ELEM CURR", ":FORM:ELEM?", "CURR"),
    ("output_enabled", True, ":OUTP ON", ":OUTP?", "1"),
])
def test_property_transcript(smu, wire, name, value, set_line, get_line, reply):
    setattr(smu, name, value)
    assert getattr(smu, name) == value
    assert wire.lines == [(set_line, None), (get_line, reply)]


def test_apply_voltage_then_measure(smu, wire, bench):
    smu.apply_voltage(0.1, 1e-3)
    current = smu.measure_current()
    assert wire.sent() == [":SENS:CURR:PROT 0.001", "SYST:ERR?", ":SOUR:VOLT:LEV 0.1",
                           ":OUTP ON", "SYST:ERR?", ":READ?"]
    g = bench.array.conductance([5])[0]
    assert current == pytest.approx(0.1 * g, rel=0.1)


@pytest.mark.parametrize(("voltage", "compliance", "error"), [
    (0.6, 1e-4, SafetyError),   # beyond the setup's |V| <= 0.5
    (0.1, 2e-3, SafetyError),   # compliance beyond the setup's 1 mA
    (0.1, 0.0, ConfigError),         # below the instrument's compliance range
    (float("nan"), 1e-4, ConfigError),
])
def test_out_of_limit_request_sends_nothing(smu, wire, voltage, compliance, error):
    with pytest.raises(error):
        smu.apply_voltage(voltage, compliance)
    assert wire.lines == []


def test_safety_error_names_value_limit_and_fix(smu):
    with pytest.raises(SafetyError, match=r"0\.6 V.*±0\.5 V.*smu_voltage_max"):
        smu.source_voltage = 0.6


def test_instrument_error_becomes_instrument_error(smu):
    smu.write(":SOUR:VOLT:LEV 999")
    with pytest.raises(InstrumentError) as info:
        smu.check_errors()
    assert (info.value.code, info.value.message) == (-222, "Data out of range")
    smu.check_errors()  # the queue was drained


def test_measure_with_output_off_is_refused_before_sending(smu, wire):
    with pytest.raises(ConfigError, match="apply_voltage"):
        smu.measure_current()
    assert wire.lines == []


def test_output_off(smu, wire):
    smu.apply_voltage(0.1, 1e-4)
    wire.clear()
    smu.output_off()
    assert wire.sent() == [":OUTP OFF"]


def test_wrong_instrument_is_refused(bench):
    with pytest.raises(IdentityMismatch, match="33521B"):
        Keithley2400(LoopbackTransport(Keysight33500BEmulator(bench).handle), Interlock(LIMITS))


def test_docstrings_state_units_and_range():
    assert Keithley2400.source_voltage.__doc__ == (
        "Control the source voltage in V (float, strictly from -210 to 210; "
        "within the setup's safety limits).")
