"""``labctl train``: a run from start (or from a checkpoint) to its archive, stoppable."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from drivers.errors import LabError
from labctl.datasets import TaskData
from labctl.learning.archive import TrainArchive
from labctl.learning.backends import make_weight_store
from labctl.learning.config import TrainConfig
from labctl.learning.store import WeightStore
from labctl.learning.trainer import EpochRecord, Resume, Trainer, TrainingStopped, TrainResult

log = logging.getLogger(__name__)


def run_training(config: TrainConfig, data: Sequence[TaskData], out: Path,
                 resume: Resume | None = None,
                 on_batch: Callable[[str, int], None] | None = None,
                 on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Train, archiving every epoch and checkpoint in ``out``; the bench is always left safe.

    Resuming writes the continued run to a new file that takes ``out``'s place only once it
    holds everything ``out`` held, so no data is lost if the resume itself is killed.
    Ctrl-C stops after the current step with the archive closed as "interrupted".
    """
    store = make_weight_store(config)
    try:
        trainer = Trainer(config, data, store)
        target = out if resume is None else out.with_suffix(".resuming.h5")
        archive = TrainArchive(target, trainer, store.identities())
        try:
            if resume is not None:
                trainer.load_state(resume.state)
                archive.carry_over(out, trainer, resume)
                archive.writer.move_to(out)
            with _stop_on_interrupt(trainer):
                result = trainer.run(on_batch, on_epoch, archive.epoch_done, resume)
        except TrainingStopped:
            archive.close("interrupted", {})
            raise
        except BaseException:
            archive.abandon()
            raise
        archive.close("complete", archive.summary(result, store.link_stats()))
    except BaseException:
        _close_quietly(store)
        raise
    store.close()
    return result


def _close_quietly(store: WeightStore) -> None:
    """Make the bench safe after a failure without hiding the failure behind a second one."""
    try:
        store.close()
    except LabError as err:
        log.error("could not leave the bench safe: %s", err)


@contextmanager
def _stop_on_interrupt(trainer: Trainer) -> Iterator[None]:
    """First Ctrl-C asks the trainer to stop after its step; a second one interrupts."""

    def handle(signum: int, frame: FrameType | None) -> None:
        trainer.stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
