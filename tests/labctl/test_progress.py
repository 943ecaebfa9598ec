"""Progress without a terminal: plain lines at a steady rate, each epoch and phase reported,
with the time left; on a terminal, bars."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from labctl.cli import progress


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[io.StringIO]:
    """The progress console writing to a file (not a terminal), a line due every 10 s."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=200))
    monkeypatch.setattr(progress, "PlainLines",
                        functools.partial(progress.PlainLines, every=10.0, now=clock))
    yield out


def test_training_to_a_file_prints_steady_lines_every_epoch_and_the_time_left(
        piped: io.StringIO, clock: Clock) -> None:
    with progress.train_progress(["mnist", "fashion-mnist"], 2, [20, 20], [0, 0]) as p:
        for task in ("mnist", "fashion-mnist"):
            for epoch in range(2):
                for _ in range(20):
                    clock.t += 1.0
                    p.batch(task, 20)
                p.epoch(task, epoch, [0.9, 0.1])
    lines = piped.getvalue().splitlines()
    epochs = [line for line in lines if " done: " in line]
    assert [line.split(" done")[0] for line in epochs] == [
        "mnist epoch 1/2", "mnist epoch 2/2", "fashion-mnist epoch 1/2",
        "fashion-mnist epoch 2/2"]
    assert "mnist 90.00%  fashion-mnist 10.00%" in epochs[0]
    batches = [line for line in lines if ": batch " in line]
    # a line 10 s after the last one, the last batch of an epoch giving way to the epoch's line
    assert [line.split(" [")[0] for line in batches] == [
        f"{task} epoch {e}/2: batch 10/20" for task in ("mnist", "fashion-mnist") for e in (1, 2)]
    assert "[0:00:20 elapsed, 0:01:00 left]" in epochs[0]  # 20 of 80 batches in 20 s
    assert "left" not in epochs[-1]


def test_a_resumed_run_estimates_from_this_session_only(piped: io.StringIO,
                                                        clock: Clock) -> None:
    with progress.train_progress(["a", "b"], 2, [10, 10], [2, 0]) as p:
        for _ in range(10):
            clock.t += 1.0
            p.batch("b", 10)
        p.epoch("b", 0, [0.5, 0.5])
    (line,) = (x for x in piped.getvalue().splitlines() if "done" in x)
    assert line.startswith("b epoch 1/2 done")
    assert "[0:00:10 elapsed, 0:00:10 left]" in line  # 10 batches in 10 s, 10 to go


def test_the_time_left_leaves_out_the_set_up_before_the_first_batch(piped: io.StringIO,
                                                                     clock: Clock) -> None:
    with progress.train_progress(["mnist"], 1, [80], [0]) as p:
        clock.t = 100.0  # forming and loading before training starts
        for _ in range(20):
            p.batch("mnist", 80)
            clock.t += 1.0
    lines = piped.getvalue().splitlines()
    assert lines[0].startswith("mnist epoch 1/1: batch 1/80 [0:01:40 elapsed]")
    assert lines[1].startswith("mnist epoch 1/1: batch 11/80 [0:01:50 elapsed, 0:01:09 left]")


def test_program_phases_to_a_file_report_each_phase_once_it_ends(piped: io.StringIO,
                                                                 clock: Clock) -> None:
    with progress.phase_progress() as update:
        for phase in ("forming", "programming"):
            update(phase, 0, 30)
            for done in range(1, 31):
                clock.t += 1.0
                update(phase, done, 30)
            update(phase, 30, 30)
    lines = piped.getvalue().splitlines()
    assert [line.split(" [")[0] for line in lines if "30/30" in line] == [
        "forming: 30/30", "programming: 30/30"]
    middle = [line for line in lines if "30/30" not in line]
    assert [line.split(" [")[0] for line in middle] == [
        "forming: 10/30", "forming: 20/30", "programming: 10/30", "programming: 20/30"]
    assert "[0:00:40 elapsed, 0:00:20 left]" in middle[2]  # the phase's own rate


def test_on_a_terminal_training_shows_bars_not_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=120, force_terminal=True))
    with progress.train_progress(["mnist"], 1, [5], [0]) as p:
        for _ in range(5):
            p.batch("mnist", 5)
        p.epoch("mnist", 0, [0.9])
    text = out.getvalue()
    assert "mnist epoch 1/1" in text and "━" in text and "elapsed" not in text


def test_a_sweep_to_a_file_prints_a_line_per_run_ended_and_the_running_runs(
        piped: io.StringIO, clock: Clock) -> None:
    view = progress.SweepView
    with progress.sweep_progress(4) as show:
        show(view(1, 1, 0, 1, {}))
        clock.t = 3.0
        show(view(1, 1, 0, 1, {"seed=1": "mnist epoch 1/5: mnist 97.1%"}))
        clock.t = 12.0
        show(view(1, 1, 0, 1, {"seed=1": "mnist epoch 2/5: mnist 97.6%"}))
        clock.t = 14.0
        show(view(2, 1, 1, 1, {}))
    lines = piped.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("1 done, 0 running, 0 failed (1 ended before this session)")
    assert "seed=1: mnist epoch 2/5: mnist 97.6%" in lines[1] and "left" not in lines[1]
    assert lines[2].startswith("1 done, 0 running, 1 failed") and "0:00:28 left" in lines[2]


def test_on_a_terminal_a_sweep_shows_one_bar_and_its_running_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=120, force_terminal=True))
    with progress.sweep_progress(3) as show:
        show(progress.SweepView(1, 1, 0, 0, {"seed=2": "fashion-mnist epoch 3/5"}))
    text = out.getvalue()
    assert "runs" in text and "━" in text and "seed=2: fashion-mnist epoch 3/5" in text
