"""Keysight/Agilent 33500B-series waveform generator firing single pulses on a bus trigger.

Commands follow the 33500B Series Operating and Service Guide (SCPI reference), sent with
the channel suffix (``SOUR1:``, ``OUTP1``, ``TRIG1:``) so channel 2 of a two-channel model
works alike: ``FUNC PULS``, ``VOLT:HIGH``/``VOLT:LOW``, ``FUNC:PULS:PER``, ``FUNC:PULS:WIDT``,
``FUNC:PULS:TRAN``, ``OUTP:POL``, ``OUTP:LOAD INF``, ``BURS:MODE TRIG``, ``BURS:NCYC 1``,
``BURS:STAT ON``, ``TRIG:SOUR BUS``, ``OUTP ON|OFF``, ``*TRG`` and ``*OPC?``. Pulse trains
for bursts are arbitrary waveforms in volatile memory (``DATA:VOL:CLE``, ``DATA:ARB``,
``FUNC:ARB``, ``FUNC:ARB:SRAT``, ``FUNC:ARB:FILT OFF``, ``FUNC ARB``) played ``BURS:NCYC``
times on one ``*TRG``.

The output is set for a high-impedance load (the chip's terminals), so the programmed
levels are the volts at the chip. A pulse of amplitude A leaves 0 V for A and returns: a
positive one idles at the low level 0 V; a negative one uses inverted polarity between
-|A| and 0 V so that it too idles at 0 V.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from drivers.errors import ConfigError
from drivers.instrument import (
    ScpiInstrument,
    StrictRange,
    control,
    parse_bool,
    parse_word,
)
from drivers.roles import PulseGenerator
from drivers.safety import Interlock
from drivers.transport import LineTransport

TRAIN_NAME = "LABCTL_TRAIN"
"""The volatile arbitrary waveform that holds a pulse train."""
TRAIN_GAP = 3
"""Idle samples after each pulse of a train (one sample is one pulse width): 25 % duty."""
ARB_POINTS_MIN = 8
"""Fewest points of an arbitrary waveform."""
RESET_LEVEL = 0.1
"""High level after ``*RST`` at the chip (V), the low level its negative: 100 mVpp about 0 V
into 50 ohm, which is 200 mVpp into the chip's high impedance."""


class Keysight33500B(ScpiInstrument, PulseGenerator):
    """Keysight/Agilent 33500B-series generator, one channel, as a single-pulse source."""

    model = "Keysight 33500B"
    identity_pattern = r"(AGILENT|KEYSIGHT) TECHNOLOGIES,335\d\dB"

    function = control(
        "SOUR{ch}:FUNC?", "SOUR{ch}:FUNC {value}", "the output function",
        values={name: name for name in ("SIN", "SQU", "RAMP", "PULS", "NOIS", "DC", "ARB")},
        parse=parse_word,
    )
    load = control(
        "OUTP{ch}:LOAD?", "OUTP{ch}:LOAD {value}", "the expected load (INF: high impedance)",
        values={"INF": "INF", "50": "50"},
        parse=lambda reply: "INF" if float(reply) > 1e6 else str(round(float(reply))),
    )
    high_level = control(
        "SOUR{ch}:VOLT:HIGH?", "SOUR{ch}:VOLT:HIGH {value}", "the pulse high level",
        validator=StrictRange(-10, 10), units="V", level="pulse",
    )
    low_level = control(
        "SOUR{ch}:VOLT:LOW?", "SOUR{ch}:VOLT:LOW {value}", "the pulse low level",
        validator=StrictRange(-10, 10), units="V", level="pulse",
    )
    polarity = control(
        "OUTP{ch}:POL?", "OUTP{ch}:POL {value}", "the output polarity",
        values={"NORM": "NORM", "INV": "INV"}, parse=parse_word,
    )
    pulse_period = control(
        "SOUR{ch}:FUNC:PULS:PER?", "SOUR{ch}:FUNC:PULS:PER {value}", "the pulse period",
        validator=StrictRange(33e-9, 1e6), units="s",
    )
    pulse_width = control(
        "SOUR{ch}:FUNC:PULS:WIDT?", "SOUR{ch}:FUNC:PULS:WIDT {value}", "the pulse width",
        validator=StrictRange(16e-9, 1e6), units="s",
        safety=Interlock.check_width,
    )
    edge_time = control(
        "SOUR{ch}:FUNC:PULS:TRAN:LEAD?", "SOUR{ch}:FUNC:PULS:TRAN {value}", "both edge times",
        validator=StrictRange(8.4e-9, 1e-6), units="s",
    )
    burst_enabled = control(
        "SOUR{ch}:BURS:STAT?", "SOUR{ch}:BURS:STAT {value}", "whether burst mode is on",
        values={True: "ON", False: "OFF"}, parse=parse_bool,
    )
    burst_mode = control(
        "SOUR{ch}:BURS:MODE?", "SOUR{ch}:BURS:MODE {value}", "the burst mode",
        values={"TRIG": "TRIG", "GAT": "GAT"}, parse=parse_word,
    )
    burst_cycles = control(
        "SOUR{ch}:BURS:NCYC?", "SOUR{ch}:BURS:NCYC {value}", "the cycles per burst",
        validator=StrictRange(1, 100_000_000), parse=lambda reply: round(float(reply)),
        kind="int",
    )
    arb_sample_rate = control(
        "SOUR{ch}:FUNC:ARB:SRAT?", "SOUR{ch}:FUNC:ARB:SRAT {value}",
        "the arbitrary waveform's sample rate (one sample: one pulse width of a train)",
        validator=StrictRange(1e-6, 250e6), units="Sa/s",
        safety=lambda interlock, rate: interlock.check_width(1.0 / rate, "train pulse width"),
    )
    arb_filter = control(
        "SOUR{ch}:FUNC:ARB:FILT?", "SOUR{ch}:FUNC:ARB:FILT {value}",
        "the arbitrary waveform's filter (OFF: each sample held, square pulses)",
        values={name: name for name in ("NORM", "STEP", "OFF")}, parse=parse_word,
    )
    arb_waveform = control(
        "SOUR{ch}:FUNC:ARB?", "SOUR{ch}:FUNC:ARB {value}", "the selected arbitrary waveform",
        values={TRAIN_NAME: TRAIN_NAME}, parse=lambda reply: reply.strip().strip('"').upper(),
    )
    trigger_source = control(
        "TRIG{ch}:SOUR?", "TRIG{ch}:SOUR {value}", "the trigger source",
        values={name: name for name in ("IMM", "EXT", "TIM", "BUS")}, parse=parse_word,
    )
    output_enabled = control(
        "OUTP{ch}?", "OUTP{ch} {value}", "whether the output is on",
        values={True: "ON", False: "OFF"}, parse=parse_bool,
    )

    def __init__(
        self, transport: LineTransport, interlock: Interlock, *, channel: Literal[1, 2] = 1
    ) -> None:
        """Check the identity, reset, and arm single pulses on a bus trigger at 0 V."""
        if channel not in (1, 2):
            raise ConfigError(f"{self.model} channel {channel!r} is not 1 or 2")
        super().__init__(transport, interlock)
        self.channel = channel
        self.verify_identity()
        self.write("*RST")
        self.write("*CLS")
        self._high = RESET_LEVEL
        type(self).high_level.settle(self, RESET_LEVEL)
        type(self).low_level.settle(self, -RESET_LEVEL)
        self._output_on = False
        self._configured = False
        self._shape: Literal["pulse", "train"] = "pulse"
        self._repeats = 1
        self._train_period = 0.0
        self.function = "PULS"
        self.load = "INF"
        # above the *RST width, and every pulse the setup allows
        self.pulse_period = max(10 * interlock.limits.pulse_width_max, 1e-3)
        self.burst_mode = "TRIG"
        self.burst_cycles = 1
        self.trigger_source = "BUS"
        self.burst_enabled = True
        self.check_errors()

    def command_fields(self) -> dict[str, str]:
        return {"ch": str(self.channel)}

    def _set_levels(self, high: float, low: float) -> None:
        """Write both levels in the order that keeps high above low at every step."""
        if low < self._high:
            self.low_level = low
            self.high_level = high
        else:
            self.high_level = high
            self.low_level = low
        self._high = high

    def configure_pulse(
        self, amplitude: float, width: float, edge_time: float | None = None
    ) -> None:
        """Shape the next pulses: ``amplitude`` (V, signed, from 0 V), ``width`` and edges (s).

        Every value is checked against the instrument and the setup's limits before any
        is written; ``edge_time`` None keeps the edges as they are. An output left on by
        ``fire`` is turned off first: between the level and polarity writes it would rest
        away from 0 V on whatever is routed to it.
        """
        if amplitude == 0:
            raise ConfigError(f"{self.model}: a pulse needs a nonzero amplitude")
        settings = type(self)
        high, low = (amplitude, 0.0) if amplitude >= 0 else (0.0, amplitude)
        settings.high_level.validate(self, high)
        settings.low_level.validate(self, low)
        settings.pulse_width.validate(self, width)
        if edge_time is not None:
            settings.edge_time.validate(self, edge_time)
        if self._output_on:
            self.output_off()
        self._set_levels(high, low)
        self.polarity = "NORM" if amplitude >= 0 else "INV"
        self.pulse_width = width
        if edge_time is not None:
            self.edge_time = edge_time
        if self._shape != "pulse":
            self.function = "PULS"
            self._shape = "pulse"
        self._burst_of(1)
        self._configured = True
        self.check_errors()

    def configure_train(self, amplitudes: Sequence[float], width: float) -> None:
        """Shape a burst's train: one sample of each amplitude (V, signed) followed by
        ``TRAIN_GAP`` samples at 0 V, one sample lasting ``width`` (s), after a leading 0 V
        sample; the levels span the largest and smallest amplitude (and 0 V), and the
        samples are written scaled to them, as the arbitrary function plays them."""
        volts = [float(a) for a in amplitudes]
        if not volts or not all(v != 0 and math.isfinite(v) for v in volts):
            raise ConfigError(f"{self.model}: a train needs one or more finite nonzero "
                              f"amplitudes, got {list(amplitudes)!r}")
        settings = type(self)
        high, low = max(max(volts), 0.0), min(min(volts), 0.0)
        settings.high_level.validate(self, high)
        settings.low_level.validate(self, low)
        settings.arb_sample_rate.validate(self, 1.0 / width)
        samples = [0.0]
        for v in volts:
            samples += [v] + [0.0] * TRAIN_GAP
        samples += [0.0] * max(ARB_POINTS_MIN - len(samples), 0)
        middle, half = (high + low) / 2, (high - low) / 2
        if self._output_on:
            self.output_off()
        self.write(f"SOUR{self.channel}:DATA:VOL:CLE")
        self.write(f"SOUR{self.channel}:DATA:ARB {TRAIN_NAME},"
                   + ",".join(f"{(v - middle) / half:.9g}" for v in samples))
        self.function = "ARB"
        self.arb_waveform = TRAIN_NAME
        self.arb_filter = "OFF"
        self.arb_sample_rate = 1.0 / width
        self._set_levels(high, low)
        self.polarity = "NORM"
        self._shape = "train"
        self._train_period = len(samples) * width
        self._configured = True
        self.check_errors()

    def fire_burst(self, repeats: int) -> None:
        """Play the train ``repeats`` times on one ``*TRG`` and wait for it (``*OPC?``, with
        the burst's duration added to the timeout)."""
        if self._shape != "train" or not self._configured:
            raise ConfigError(f"{self.model}: call configure_train() before fire_burst()")
        self._burst_of(repeats)
        if not self._output_on:
            self.output_enabled = True
            self._output_on = True
        self.write("*TRG")
        self.transport.query_long("*OPC?", repeats * self._train_period)
        self.check_errors()

    def _burst_of(self, repeats: int) -> None:
        if repeats != self._repeats:
            self.burst_cycles = repeats
            self._repeats = repeats

    def fire(self) -> None:
        """Fire one pulse (``*TRG``), wait for it (``*OPC?``) and check the error queue."""
        if not self._configured or self._shape != "pulse":
            raise ConfigError(f"{self.model}: call configure_pulse() before fire()")
        if not self._output_on:
            self.output_enabled = True
            self._output_on = True
        self.write("*TRG")
        self.ask("*OPC?")
        self.check_errors()

    def output_off(self) -> None:
        """Turn the output off."""
        self.output_enabled = False
        self._output_on = False
