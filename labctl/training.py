"""``labctl train``: a run from start (or from a checkpoint) to its archive, stoppable."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from drivers.errors import LabError
from labctl.archive.provenance import Provenance
from labctl.datasets import TaskData
from labctl.learning.archive import Origin, TrainArchive
from labctl.learning.backends import make_weight_store
from labctl.learning.chip_store import ChipStore
from labctl.learning.config import TrainConfig
from labctl.learning.host_memory import check_host_memory
from labctl.learning.hybrid_store import HybridStore
from labctl.learning.store import WeightStore
from labctl.learning.trainer import EpochRecord, Resume, Trainer, TrainingStopped, TrainResult

log = logging.getLogger(__name__)


def run_training(config: TrainConfig, data: Sequence[TaskData], out: Path,
                 resume: Resume | None = None,
                 on_batch: Callable[[str, int], None] | None = None,
                 on_epoch: Callable[[EpochRecord], None] | None = None, *,
                 origin: Origin | None = None,
                 provenance: Provenance | None = None) -> TrainResult:
    """Train, archiving every epoch with its checkpoint in ``out``; the bench is always left
    safe.

    Resuming (``resume`` and the ``origin`` archive it came from) rewrites ``out`` in one
    atomic step once the new file holds everything the old one held, so no data is lost if
    the resume itself is killed. Ctrl-C stops after the current step with the archive closed
    as "interrupted"; a second Ctrl-C interrupts at once, closing it the same way.
    """
    check_host_memory(config)
    store = make_weight_store(config)
    try:
        trainer = Trainer(config, data, store)
        if resume is not None:
            trainer.load_state(resume.state)
        provenance = provenance or Provenance()
        chip = store.chip if isinstance(store, HybridStore) else store
        if isinstance(chip, ChipStore):
            provenance = replace(provenance, parameters=chip.bench.parameters())
        archive = TrainArchive(out, trainer, store.identities(), provenance, origin)
        try:
            if resume is not None:
                archive.carry_over(out, trainer, resume)
            with _stop_on_interrupt(trainer):
                result = trainer.run(on_batch, on_epoch, archive.epoch_done, resume)
        except TrainingStopped as stop:
            archive.close("interrupted", {})
            raise stop.archived_in(out) from None
        except KeyboardInterrupt:
            archive.close("interrupted", {})
            raise
        except LabError as err:
            archive.fail(str(err))
            raise
        except BaseException as err:
            archive.fail(f"unexpected {type(err).__name__}: {err}")
            raise
        archive.close("complete", archive.summary(result, store.link_stats(), store.wear()))
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
    """First Ctrl-C asks the trainer to stop after its step; a second one interrupts.

    Only the main thread receives signals: elsewhere (a Dask worker's task) the run is
    stopped by whoever owns the thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        trainer.stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
