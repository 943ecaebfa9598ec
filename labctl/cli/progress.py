"""Progress of long runs: rich bars on a terminal, plain lines at a steady rate otherwise.

Output sent to a file or a pipe gets no live display, so a run that prints bars would say
nothing until it ends; there, progress is one line per phase or epoch and one line every
``PLAIN_EVERY`` seconds in between, each with the elapsed time and an estimate of what is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from labctl.cli.app import console

PLAIN_EVERY = 30.0
"""Seconds between two plain progress lines of the same run."""

PhaseCallback = Callable[[str, int, int], None]
"""``(phase, done, total)``: how far a phase of a run has got."""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@dataclass
class PlainLines:
    """Progress lines for a console that is not a terminal: at most one every ``every``
    seconds unless forced, each with the elapsed time and the time left at the current rate."""

    out: Console
    every: float = PLAIN_EVERY
    now: Callable[[], float] = time.monotonic
    start: float = field(init=False)
    last: float = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.last = self.now()

    def due(self) -> bool:
        """Whether a line is due."""
        return self.now() - self.last >= self.every

    def line(self, text: str, done: int, total: int, since: int = 0,
             began: float | None = None) -> None:
        """Print ``text`` with the elapsed time and, once ``done`` passes ``since`` (the work
        done before this session, or before ``began``), the estimated time to ``total``."""
        t = self.now()
        self.last = t
        elapsed = t - self.start
        eta = ""
        if since < done < total:
            rate = (done - since) / (t - (self.start if began is None else began))
            eta = f", {_clock((total - done) / rate)} left"
        self.out.print(f"{text} [{_clock(elapsed)} elapsed{eta}]", highlight=False,
                       soft_wrap=True)


@contextmanager
def phase_progress() -> Iterator[PhaseCallback]:
    """Yield a ``(phase, done, total)`` callback that drives one bar per phase."""
    if not console.is_terminal:
        yield _plain_phases(PlainLines(console))
        return
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def _plain_phases(lines: PlainLines) -> PhaseCallback:
    finished: set[str] = set()
    began: dict[str, float] = {}

    def update(phase: str, done: int, total: int) -> None:
        began.setdefault(phase, lines.now())
        ended = done >= total and phase not in finished
        if ended:
            finished.add(phase)
        if ended or (0 < done < total and lines.due()):
            lines.line(f"{phase}: {done}/{total}", done, total, began=began[phase])

    return update


@dataclass
class EpochProgress:
    """The training callbacks: ``batch(task, batches in epoch)`` after every batch and
    ``epoch(task, epoch, accuracies)`` after every epoch."""

    batch: Callable[[str, int], None]
    epoch: Callable[[str, int, Sequence[float]], None]


@contextmanager
def train_progress(tasks: Sequence[str], epochs: int, batches: Sequence[int],
                   done_epochs: Sequence[int]) -> Iterator[EpochProgress]:
    """Progress over ``epochs`` epochs of each task (``batches[i]`` batches an epoch),
    ``done_epochs[i]`` of them archived before this session: a bar per epoch on a terminal,
    plain lines otherwise, both with the time left."""
    epoch_of = dict(zip(tasks, done_epochs, strict=True))

    def scores(accuracy: Sequence[float]) -> str:
        return "  ".join(f"{t} {100 * a:.2f}%" for t, a in zip(tasks, accuracy, strict=True))

    if not console.is_terminal:
        lines = PlainLines(console)
        total = epochs * sum(batches)
        count = {"done": sum(d * b for d, b in zip(done_epochs, batches, strict=True)),
                 "in_epoch": 0}
        # The rate counts from this session's first batch (batches done then, and when): the
        # set-up before it (forming, calibration, loading) would make the first estimates
        # hours long.
        first: list[tuple[int, float]] = []

        def plain_batch(task: str, per_epoch: int) -> None:
            count["done"] += 1
            count["in_epoch"] += 1
            if not first:
                first.append((count["done"], lines.now()))
            if count["in_epoch"] < per_epoch and lines.due():  # else the epoch's line
                lines.line(f"{task} epoch {epoch_of[task] + 1}/{epochs}: batch "
                           f"{count['in_epoch']}/{per_epoch}", count["done"], total, *first[0])

        def plain_epoch(task: str, epoch: int, accuracy: Sequence[float]) -> None:
            epoch_of[task] += 1
            count["in_epoch"] = 0
            lines.line(f"{task} epoch {epoch + 1}/{epochs} done: {scores(accuracy)}",
                       count["done"], total, *(first[0] if first else (count["done"], None)))

        yield EpochProgress(plain_batch, plain_epoch)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"))
    with Progress(*columns, console=console) as progress:
        bars: dict[tuple[str, int], TaskID] = {}

        def bar_batch(task: str, per_epoch: int) -> None:
            key = (task, epoch_of[task])
            if key not in bars:
                bars[key] = progress.add_task(f"{task} epoch {key[1] + 1}/{epochs}",
                                              total=per_epoch, status="")
            progress.advance(bars[key])

        def bar_epoch(task: str, epoch: int, accuracy: Sequence[float]) -> None:
            progress.update(bars[(task, epoch)], status=scores(accuracy))
            epoch_of[task] += 1

        yield EpochProgress(bar_batch, bar_epoch)


@contextmanager
def sweep_progress(total: int) -> Iterator[Callable[[SweepView], None]]:
    """Yield a callback that shows a sweep: one bar over its runs (done, running, failed)
    and a line per running run; plain lines when the console is not a terminal."""
    if not console.is_terminal:
        lines = PlainLines(console)
        ended = {"n": -1}

        def plain(view: SweepView) -> None:
            if view.ended != ended["n"] or lines.due():
                ended["n"] = view.ended
                running = "".join(f"; {label}: {line}" for label, line in view.running.items())
                lines.line(view.headline() + running, view.ended, total, view.found)

        yield plain
        return
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), TextColumn("{task.fields[status]}"), console=console)
    task = bar.add_task("runs", total=total, status="")
    with Live(Group(bar), console=console, refresh_per_second=4) as live:

        def show(view: SweepView) -> None:
            bar.update(task, completed=view.ended, status=view.headline())
            running = [Text(f"  {label}: {line}", overflow="ellipsis", no_wrap=True)
                       for label, line in view.running.items()]
            live.update(Group(bar, *running))

        yield show


@dataclass(frozen=True)
class SweepView:
    """What the sweep's progress shows."""

    ended: int
    complete: int
    failed: int
    found: int
    running: dict[str, str]

    def headline(self) -> str:
        return (f"{self.complete} done, {len(self.running)} running, {self.failed} failed"
                + (f" ({self.found} ended before this session)" if self.found else ""))
