"""The scripted transport behind the manual transcripts fails on every kind of deviation.

A transcript helper that passed a wrong transcript would make every manual test worthless,
so each way the driver's traffic can differ from the script is shown to fail here, on a
minimal instrument defined below (no emulator involved).
"""

from __future__ import annotations

import pytest

from drivers.instrument import Instrument, control
from tests.drivers.protocol import Pair, TranscriptMismatch, expected_protocol, script_of


class Probe(Instrument):
    """A bare instrument: one numeric setting, no identity check, an empty error queue."""

    model = "probe"
    level = control("LEV?", "LEV {value}", "a level", units="V")

    def error_queue(self) -> list[tuple[int, str]]:
        return []


SET_AND_GET: list[Pair] = [("LEV 1", None), ("LEV?", "+1.0E+00")]


def test_matching_transcript_passes_and_records_the_lines() -> None:
    """The happy path: lines match, the reply is parsed, every pair is used."""
    with expected_protocol(Probe, SET_AND_GET) as probe:
        probe.level = 1.0
        assert probe.level == 1.0
        assert script_of(probe).sent == ["LEV 1", "LEV?"]


def test_a_different_line_fails_with_a_diff() -> None:
    """A written line that differs from the expected one names both, with a diff."""
    with (
        pytest.raises(TranscriptMismatch, match=r"line 1 differs") as info,
        expected_protocol(Probe, [("LEV 2", None)]) as probe,
    ):
        probe.level = 1.0
    assert "- LEV 2" in str(info.value)
    assert "+ LEV 1" in str(info.value)


def test_an_extra_line_fails() -> None:
    """A line after the script is used up fails."""
    with (
        pytest.raises(TranscriptMismatch, match="after all 1 expected"),
        expected_protocol(Probe, [("LEV 1", None)]) as probe,
    ):
        probe.level = 1.0
        probe.level = 2.0


def test_an_unwritten_line_fails_at_the_end() -> None:
    """Pairs left over when the block ends fail the test."""
    with (
        pytest.raises(TranscriptMismatch, match="1 expected line"),
        expected_protocol(Probe, SET_AND_GET) as probe,
    ):
        probe.level = 1.0


def test_reading_after_a_command_fails() -> None:
    """A read where the script has no reply fails (a real instrument would time out)."""
    with (
        pytest.raises(TranscriptMismatch, match="does not answer"),
        expected_protocol(Probe, [("LEV?", None)]) as probe,
    ):
        _ = probe.level


def test_writing_before_reading_a_reply_fails() -> None:
    """A reply left unread before the next line fails (SCPI -410 "Query INTERRUPTED")."""
    with (
        pytest.raises(TranscriptMismatch, match="before reading the reply"),
        expected_protocol(Probe, [("LEV?", "+1.0E+00"), ("LEV 1", None)]) as probe,
    ):
        probe.write("LEV?")
        probe.level = 1.0


def test_an_unread_last_reply_fails_at_the_end() -> None:
    """A reply still pending when the block ends fails the test."""
    with (
        pytest.raises(TranscriptMismatch, match="never read"),
        expected_protocol(Probe, [("LEV?", "+1.0E+00")]) as probe,
    ):
        probe.write("LEV?")


def test_the_reply_is_what_the_driver_parses() -> None:
    """The scripted reply, not some default, reaches the setting's parser."""
    with expected_protocol(Probe, [("LEV?", "-2.5E-01")]) as probe:
        assert probe.level == -0.25


def test_an_exception_in_the_block_is_not_masked() -> None:
    """If the test body raises, that error propagates; unused pairs are not reported."""
    with pytest.raises(ZeroDivisionError), expected_protocol(Probe, SET_AND_GET):
        _ = 1 / 0
