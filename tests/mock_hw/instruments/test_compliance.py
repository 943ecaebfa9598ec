"""Compliance limits are refused below the instrument's minimum, with its manual's code."""

from __future__ import annotations

import pytest

from mock_hw.instruments import Keithley2400Emulator, Keithley2600BEmulator


@pytest.mark.parametrize("level", ["0", "-0", "+0.0", "5e-10", "-5e-10"])
def test_2400_refuses_a_compliance_under_its_minimum_and_keeps_the_previous(
        bench, read_errors, level):
    smu = Keithley2400Emulator(bench)
    smu.handle(":SENS:CURR:PROT 1e-3;:SENS:VOLT:PROT 5")
    smu.handle(f":SENS:CURR:PROT {level}")
    smu.handle(f":SENS:VOLT:PROT {level}")
    assert smu.handle(":SENS:CURR:PROT?;:SENS:VOLT:PROT?") == "+1.000000E-03;+5.000000E+00"
    assert read_errors(smu) == [(-222, "Data out of range")] * 2


def test_2400_takes_a_negative_compliance_as_its_magnitude_down_to_the_minimum(
        bench, read_errors):
    smu = Keithley2400Emulator(bench)
    smu.handle(":SENS:CURR:PROT -2e-3")  # the manual's range is -1.05 to 1.05 A
    assert smu.handle(":SENS:CURR:PROT?") == "+2.000000E-03"
    smu.handle(":SENS:CURR:PROT -1e-9;:SENS:VOLT:PROT -2e-4")  # 0.1% of the lowest ranges
    assert smu.handle(":SENS:CURR:PROT?;:SENS:VOLT:PROT?") == "+1.000000E-09;+2.000000E-04"
    smu.handle(":SENS:CURR:PROT 0")
    assert read_errors(smu) == [(-222, "Data out of range")]


@pytest.mark.parametrize("limit", ["0", "-1e-3", "-0", "50e-12"])
def test_2600b_refuses_a_current_limit_under_its_minimum_with_1102(bench, read_errors, limit):
    smu = Keithley2600BEmulator(bench)
    smu.handle("smua.source.limiti = 1e-3")
    smu.handle(f"smua.source.limiti = {limit}")
    smu.handle(f"smua.source.limitv = {limit}")
    assert smu.handle("print(smua.source.limiti, smua.source.limitv)") == (
        "1.00000e-03\t2.00000e+01")
    assert read_errors(smu) == [(1102, "Parameter too small")] * 2


def test_2600b_takes_the_smallest_limits_of_its_manual(bench, read_errors):
    smu = Keithley2600BEmulator(bench)
    smu.handle("smua.source.limiti = 100e-12; smua.source.limitv = 20e-3")
    assert smu.handle("print(smua.source.limiti, smua.source.limitv)") == (
        "1.00000e-10\t2.00000e-02")
    assert read_errors(smu) == []
