"""List sweeps of both SMU models, transcripts written from their manuals: the sweep runs in
the instrument (one reply per sweep), is split where the instrument's list ends, and every
level is checked against the bench's limits before a byte is written."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.errors import ConfigError, GarbledReply, SafetyError
from drivers.safety import SafetyLimits
from drivers.smu import Keithley2400, Keithley2600B
from tests.drivers import test_keithley2400_manual as k2400
from tests.drivers import test_keithley2600b_manual as k2600
from tests.drivers.protocol import Pair, expected_protocol

LIMITS = SafetyLimits(smu_voltage_max=2.0, compliance_current_max=1e-3)


def _2400_setup() -> list[Pair]:
    """apply_voltage(0 V, 1 mA) then :SOUR:DEL and :SENS:CURR:NPLC (Table 18-7, 18-6)."""
    return [(":SENS:CURR:PROT 0.001", None), k2400.NO_ERROR, (":SOUR:VOLT:LEV 0", None),
            (":OUTP ON", None), k2400.NO_ERROR, (":SOUR:DEL 0.001", None),
            (":SENS:CURR:NPLC 0.1", None)]


def test_2400_list_sweep_sends_the_list_in_hundreds_and_reads_every_point_at_once() -> None:
    """Section 10 "Sweep Operation", custom sweep; :SOUR:LIST:VOLT takes up to 100 values and
    :SOUR:LIST:VOLT:APP adds up to 100 more (p. 18-91, 18-92); :TRIG:COUN is the points
    (p. 18-116); :READ? returns every reading, comma separated (p. 18-5)."""
    levels = np.round(np.linspace(0.0, 1.49, 150), 2)
    first = ",".join(format(v, ".9g") for v in levels[:100])
    rest = ",".join(format(v, ".9g") for v in levels[100:])
    readings = ",".join(f"{1e-6 * k:+.6E}" for k in range(150))
    pairs = [*k2400.connect(), *_2400_setup(), (":SOUR:VOLT:MODE LIST", None),
             (f":SOUR:LIST:VOLT {first}", None), (f":SOUR:LIST:VOLT:APP {rest}", None),
             (":TRIG:COUN 150", None), (":READ?", readings), (":SOUR:VOLT:MODE FIX", None),
             (":TRIG:COUN 1", None), k2400.NO_ERROR]
    with expected_protocol(Keithley2400, pairs, limits=LIMITS) as smu:
        amps = smu.sweep_voltage(levels, 1e-3, delay=1e-3, nplc=0.1)
    np.testing.assert_allclose(amps, 1e-6 * np.arange(150))


def test_2600b_sweep_runs_the_trigger_model_and_splits_at_its_list_size() -> None:
    """Reference manual, "Sweep operation": smuX.trigger.source.listv(), .action, measure.i()
    into a dedicated buffer, trigger.count, trigger.initiate(), waitcomplete(), then
    printbuffer() of the readings, separated by ", " (format.asciiprecision default)."""
    levels = np.round(np.linspace(0.0, 2.0, 201), 2)
    pairs: list[Pair] = [*k2600.connect(), ("smua.source.limiti = 0.001", None), k2600.NO_ERROR,
                         ("smua.source.levelv = 0", None),
                         ("smua.source.output = smua.OUTPUT_ON", None), k2600.NO_ERROR,
                         ("smua.source.delay = 0.001", None), ("smua.measure.nplc = 0.1", None)]
    for part in (levels[:200], levels[200:]):
        values = ", ".join(format(v, ".9g") for v in part)
        pairs += [(f"smua.trigger.source.listv({{{values}}})", None),
                  ("smua.trigger.source.action = smua.ENABLE", None),
                  ("smua.trigger.measure.i(smua.nvbuffer1)", None),
                  ("smua.trigger.measure.action = smua.ENABLE", None),
                  (f"smua.trigger.count = {part.size}", None), ("smua.nvbuffer1.clear()", None),
                  (f"smua.trigger.initiate(); waitcomplete(); printbuffer(1, {part.size}, "
                   "smua.nvbuffer1.readings)", ", ".join(["1.00000e-06"] * part.size)),
                  ("smua.trigger.source.action = smua.DISABLE", None), k2600.NO_ERROR]
    with expected_protocol(Keithley2600B, pairs, limits=LIMITS) as smu:
        amps = smu.sweep_voltage(levels, 1e-3, delay=1e-3, nplc=0.1)
    assert amps.shape == (201,) and np.all(amps == 1e-6)


@pytest.mark.parametrize(("model", "connect"), [(Keithley2400, k2400.connect),
                                                (Keithley2600B, k2600.connect)])
@pytest.mark.parametrize(("levels", "error", "match"), [
    ([0.0, 1.0, 2.5, 1.0], SafetyError, "smu_voltage_max"),
    ([0.0, -2.1], SafetyError, "smu_voltage_max"),
    ([0.0, float("nan")], ConfigError, "outside the instrument's range"),
    ([], ConfigError, "at least one level"),
])
def test_a_bad_level_is_refused_before_anything_is_sent(model, connect, levels, error, match
                                                        ) -> None:
    with expected_protocol(model, connect(), limits=LIMITS) as smu, pytest.raises(
            error, match=match):
        smu.sweep_voltage(levels, 1e-3, delay=1e-3, nplc=0.1)


@pytest.mark.parametrize("reply", ["+1.0E-06,+2.0E-06", "+1.0E-06,junk,+3.0E-06", ""])
def test_a_garbled_sweep_reply_is_a_typed_error(reply: str) -> None:
    pairs = [*k2400.connect(), *_2400_setup(), (":SOUR:VOLT:MODE LIST", None),
             (":SOUR:LIST:VOLT 0,0.5,1", None), (":TRIG:COUN 3", None), (":READ?", reply),
             (":SOUR:VOLT:MODE FIX", None), (":TRIG:COUN 1", None), k2400.NO_ERROR]
    with expected_protocol(Keithley2400, pairs, limits=LIMITS) as smu, pytest.raises(
            GarbledReply, match="3 comma-separated readings"):
        smu.sweep_voltage([0.0, 0.5, 1.0], 1e-3, delay=1e-3, nplc=0.1)


def test_a_garbled_setting_reply_is_a_typed_error() -> None:
    with expected_protocol(Keithley2400, [*k2400.connect(), (":SOUR:DEL?", "\\x00\\x7f")],
                           limits=LIMITS) as smu, pytest.raises(GarbledReply,
                                                                match=r"Keithley2400\.source_delay"):
        _ = smu.source_delay
