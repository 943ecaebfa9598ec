"""List sweeps of both SMU models, transcripts written from their manuals: the sweep runs in
the instrument (one reply per sweep), is split where the instrument's list ends, stays set up
so that the same sweep again is one trigger, and every level is checked against the bench's
limits before a byte is written."""

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
             (":TRIG:COUN 150", None), (":READ?", readings), k2400.NO_ERROR]
    with expected_protocol(Keithley2400, pairs, limits=LIMITS) as smu:
        amps = smu.sweep_voltage(levels, 1e-3, delay=1e-3, nplc=0.1)
    np.testing.assert_allclose(amps, 1e-6 * np.arange(150))


def test_2400_repeats_a_sweep_with_one_read_and_sends_only_what_changed() -> None:
    """After a list sweep the 2400 returns to the bias level (section 10) and keeps its list:
    the same sweep again is one :READ?; another list (or compliance) sends only that; a fixed
    reading first returns to :SOUR:VOLT:MODE FIX with one trigger (p. 18-93), since a :READ?
    in list mode would run the whole list again; after the output was off, all of it again."""
    up, down = [0.0, 0.5, 1.0], [0.0, 0.4]
    sweep_up = [(":SOUR:LIST:VOLT 0,0.5,1", None), (":TRIG:COUN 3", None)]
    read_up = [(":READ?", "+1.0E-06,+2.0E-06,+3.0E-06"), k2400.NO_ERROR]
    pairs = [*k2400.connect(), *_2400_setup(), (":SOUR:VOLT:MODE LIST", None), *sweep_up,
             *read_up, *read_up,
             (":SOUR:LIST:VOLT 0,0.4", None), (":TRIG:COUN 2", None),
             (":READ?", "+1.0E-06,+2.0E-06"), k2400.NO_ERROR,
             (":SENS:CURR:PROT 0.0005", None), k2400.NO_ERROR, (":SOUR:VOLT:LEV 0", None),
             k2400.NO_ERROR, (":READ?", "+1.0E-06,+2.0E-06"), k2400.NO_ERROR,
             (":SOUR:VOLT:MODE FIX", None), (":TRIG:COUN 1", None), (":READ?", "+4.0E-07"),
             (":OUTP OFF", None),
             *_2400_setup(), (":SOUR:VOLT:MODE LIST", None), *sweep_up, *read_up]
    with expected_protocol(Keithley2400, pairs, limits=LIMITS) as smu:
        for _ in range(2):
            np.testing.assert_allclose(smu.sweep_voltage(up, 1e-3, delay=1e-3, nplc=0.1),
                                       [1e-6, 2e-6, 3e-6])
        smu.sweep_voltage(down, 1e-3, delay=1e-3, nplc=0.1)
        smu.sweep_voltage(down, 5e-4, delay=1e-3, nplc=0.1)
        assert smu.measure_current() == pytest.approx(4e-7)
        smu.output_off()
        smu.sweep_voltage(up, 1e-3, delay=1e-3, nplc=0.1)


def test_2600b_sweep_runs_the_trigger_model_and_splits_at_its_list_size() -> None:
    """Reference manual, "Sweep operation": smuX.trigger.source.listv(), .action, measure.i()
    into a dedicated buffer, trigger.count, trigger.initiate(), waitcomplete(), then
    printbuffer() of the readings, separated by ", " (format.asciiprecision default)."""
    levels = np.round(np.linspace(0.0, 2.0, 201), 2)
    pairs: list[Pair] = [*k2600.connect(), ("smua.source.limiti = 0.001", None), k2600.NO_ERROR,
                         ("smua.source.levelv = 0", None),
                         ("smua.source.output = smua.OUTPUT_ON", None), k2600.NO_ERROR,
                         ("smua.source.delay = 0.001", None), ("smua.measure.nplc = 0.1", None),
                         *_2600_enter()]
    for part in (levels[:200], levels[200:]):
        values = ", ".join(format(v, ".9g") for v in part)
        pairs += [(f"smua.trigger.source.listv({{{values}}})", None),
                  (f"smua.trigger.count = {part.size}", None), _2600_run(part.size),
                  k2600.NO_ERROR]
    with expected_protocol(Keithley2600B, pairs, limits=LIMITS) as smu:
        amps = smu.sweep_voltage(levels, 1e-3, delay=1e-3, nplc=0.1)
    assert amps.shape == (201,) and np.all(amps == 1e-6)


def _2600_enter() -> list[Pair]:
    """The trigger model's source and measure actions enabled, readings into nvbuffer1."""
    return [("smua.trigger.source.action = smua.ENABLE", None),
            ("smua.trigger.measure.i(smua.nvbuffer1)", None),
            ("smua.trigger.measure.action = smua.ENABLE", None)]


def _2600_run(points: int) -> Pair:
    """One run of the trigger model set up: buffer cleared, initiated, waited for, printed."""
    return (f"smua.nvbuffer1.clear(); smua.trigger.initiate(); waitcomplete(); "
            f"printbuffer(1, {points}, smua.nvbuffer1.readings)",
            ", ".join(["1.00000e-06"] * points))


def test_2600b_repeats_a_sweep_with_one_run_and_disables_it_for_a_fixed_reading() -> None:
    """The trigger model keeps its list and actions; its source action is disabled again
    before a fixed-level reading (smuX.trigger.source.action, reference manual)."""
    pairs: list[Pair] = [*k2600.connect(), ("smua.source.limiti = 0.001", None), k2600.NO_ERROR,
                         ("smua.source.levelv = 0", None),
                         ("smua.source.output = smua.OUTPUT_ON", None), k2600.NO_ERROR,
                         ("smua.source.delay = 0.001", None), ("smua.measure.nplc = 0.1", None),
                         *_2600_enter(), ("smua.trigger.source.listv({0, 1})", None),
                         ("smua.trigger.count = 2", None), _2600_run(2), k2600.NO_ERROR,
                         _2600_run(2), k2600.NO_ERROR,
                         ("smua.trigger.source.action = smua.DISABLE", None),
                         ("print(smua.measure.i())", "2.00000e-07")]
    with expected_protocol(Keithley2600B, pairs, limits=LIMITS) as smu:
        for _ in range(2):
            assert np.all(smu.sweep_voltage([0.0, 1.0], 1e-3, delay=1e-3, nplc=0.1) == 1e-6)
        assert smu.measure_current() == pytest.approx(2e-7)


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
             k2400.NO_ERROR]
    with expected_protocol(Keithley2400, pairs, limits=LIMITS) as smu, pytest.raises(
            GarbledReply, match="3 comma-separated readings"):
        smu.sweep_voltage([0.0, 0.5, 1.0], 1e-3, delay=1e-3, nplc=0.1)


def test_a_garbled_setting_reply_is_a_typed_error() -> None:
    with expected_protocol(Keithley2400, [*k2400.connect(), (":SOUR:DEL?", "\\x00\\x7f")],
                           limits=LIMITS) as smu, pytest.raises(GarbledReply,
                                                                match=r"Keithley2400\.source_delay"):
        _ = smu.source_delay
