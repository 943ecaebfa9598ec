"""Keithley 2600B driver: exact TSP transcripts, error queue, safety before bits."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError, InstrumentError, SafetyError
from drivers.safety import Interlock, SafetyLimits
from drivers.smu import Keithley2600B
from drivers.transport import LoopbackTransport
from mock_hw.instruments import Keithley2600BEmulator
from tests.drivers.conftest import Recorder

LIMITS = SafetyLimits(smu_voltage_max=0.5, compliance_current_max=1e-3)


@pytest.fixture
def wire(bench):
    return Recorder(Keithley2600BEmulator(bench).handle)


@pytest.fixture
def smu(wire):
    smu = Keithley2600B(LoopbackTransport(wire), Interlock(LIMITS))
    wire.clear()
    return smu


def test_connect_checks_identity_resets_and_configures(wire):
    Keithley2600B(LoopbackTransport(wire), Interlock(LIMITS), channel="b", nplc=0.5)
    assert wire.sent() == ["*IDN?", "reset()", "errorqueue.clear()",
                           "smub.source.func = smub.OUTPUT_DCVOLTS", "smub.measure.nplc = 0.5",
                           "print(errorqueue.count)"]


@pytest.mark.parametrize(("name", "value", "set_line", "get_line", "reply"), [
    ("source_function", "VOLT", "smua.source.func = smua.OUTPUT_DCVOLTS",
     "print(smua.source.func)", "1.00000e+00"),
    ("source_voltage", 0.2, "smua.source.levelv = 0.2", "print(smua.source.levelv)",
     "2.00000e-01"),
    ("compliance_current", 1e-4, "smua.source.limiti = 0.0001", "print(smua.source.limiti)",
     "1.00000e-04"),
    ("nplc", 2.0, "smua.measure.nplc = 2", "print(smua.measure.nplc)", "2.00000e+00"),
    ("output_enabled", True, "smua.source.output = smua.OUTPUT_ON",
     "print(smua.source.output)", "1.00000e+00"),
])
def test_property_transcript(smu, wire, name, value, set_line, get_line, reply):
    setattr(smu, name, value)
    assert getattr(smu, name) == value
    assert wire.lines == [(set_line, None), (get_line, reply)]


def test_apply_voltage_then_measure(smu, wire, bench):
    smu.apply_voltage(0.1, 1e-3)
    current = smu.measure_current()
    assert wire.sent() == ["smua.source.limiti = 0.001", "print(errorqueue.count)",
                           "smua.source.levelv = 0.1",
                           "smua.source.output = smua.OUTPUT_ON", "print(errorqueue.count)",
                           "print(smua.measure.i())"]
    assert current == pytest.approx(0.1 * bench.array.conductance([5])[0], rel=0.1)


def test_out_of_limit_request_sends_nothing(smu, wire):
    with pytest.raises(SafetyError):
        smu.apply_voltage(-0.7, 1e-4)
    with pytest.raises(ConfigError):
        smu.compliance_current = 5.0
    assert wire.lines == []


def test_tsp_error_becomes_instrument_error(smu, wire):
    smu.write("smua.source.levelv = 500")
    smu.write("smua.sauce.levelv = 1")
    with pytest.raises(InstrumentError) as info:
        smu.check_errors()
    assert (info.value.code, info.value.message.split(" (")[0]) == (1102, "Parameter too big")
    assert "-286" in str(info.value)
    assert wire.sent()[-3:] == ["print(errorqueue.count)", "print(errorqueue.next())",
                                "print(errorqueue.next())"]


def test_bad_channel_is_a_config_error(wire):
    with pytest.raises(ConfigError, match="'c'"):
        Keithley2600B(LoopbackTransport(wire), Interlock(LIMITS), channel="c")  # type: ignore[arg-type]
    assert wire.lines == []
