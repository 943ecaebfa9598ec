"""The commands a sweep runs: how a grid point's options become a validated run config, how
a run is executed on a worker, and which of its figures the sweep keeps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from drivers.errors import ConfigError

Progress = Callable[[str], None]
"""Called with one line on how far a run has got (an epoch done, a phase started)."""

SWEEP_OWNED = ("out", "resume", "plot", "data_dir")
"""Options a sweep sets for each run itself."""


@dataclass(frozen=True)
class Figure:
    """One key figure of a run, kept in the sweep's index for every run."""

    name: str
    units: str
    description: str


class SweepCommand(ABC):
    """A labctl command as a sweep runs it."""

    name: ClassVar[str]
    figures: ClassVar[tuple[Figure, ...]]
    """Scalar figures, in the order tables and plots show them."""

    @abstractmethod
    def options(self) -> list[str]:
        """Every option a spec may set."""

    @abstractmethod
    def configure(self, options: dict[str, Any]) -> dict[str, Any]:
        """The run's full configuration (JSON) from its options; ConfigError if invalid."""

    @abstractmethod
    def backend(self, config: dict[str, Any]) -> str:
        """Where the run takes place: software, mock or chip."""

    def setup(self, config: dict[str, Any]) -> str | None:
        """The bench setup file of a run on the chip (None for a simulated chip)."""
        return config.get("setup") if self.backend(config) == "chip" else None

    def tasks(self, config: dict[str, Any]) -> list[str]:
        """The datasets the run trains on (none for device commands)."""
        return []

    @abstractmethod
    def run(self, config: dict[str, Any], out: Path, data_dir: Path | None, progress: Progress,
            resume: bool) -> None:
        """Execute the run into archive ``out``, continuing it from its checkpoint when
        ``resume`` is set and the command can."""

    @abstractmethod
    def scalars(self, summary: dict[str, Any]) -> dict[str, float]:
        """The values of ``figures`` a finished run's summary has (one it lacks, such as the
        wear of an ideal run, stays NaN in the index)."""

    def check_names(self, names: list[str]) -> None:
        """Refuse an option the command does not have, or one the sweep sets itself; an
        entry ``OPTION.KEY`` of a table option is checked as its ``OPTION`` (the key by the
        command's own validation)."""
        known = self.options()
        for name in (n.partition(".")[0] for n in names):
            if name in SWEEP_OWNED:
                raise ConfigError(f"option {name!r} is set by the sweep for every run: remove "
                                  "it from the spec")
            if name not in known:
                raise ConfigError(f"{self.name} has no option {name!r}; its options: "
                                  f"{', '.join(known)}")


def _listed(value: Any, cast: Callable[[str], Any]) -> Any:
    """A list option given the command line's way, as ``"1024,512"``, made a list."""
    if isinstance(value, str):
        try:
            return [cast(part.strip()) for part in value.split(",") if part.strip()]
        except ValueError:
            return value
    return value


class TrainCommand(SweepCommand):
    """``labctl train``; a run uses one thread (a worker's share) unless ``threads`` is set,
    and ``tolerance`` is in µS, as ``--tolerance``."""

    name = "train"
    figures = (
        Figure("writes_per_device_mean", "1", "level writes per device, mean"),
        Figure("writes_per_device_max", "1", "level writes per device, max"),
        Figure("level_changes", "1", "level changes over the run"),
        Figure("pulses", "1", "programming pulses over the run"),
        Figure("failed_writes", "1", "writes that failed to verify"),
        Figure("devices_worn_fraction", "1",
               "devices past their endurance budget (simulated chip)"),
        Figure("switching_pulses_max", "1", "switching pulses of the most used device "
               "(simulated chip)"),
        Figure("endurance_budget_used_max", "1", "largest fraction of a device's endurance "
               "budget used (simulated chip)"),
        Figure("wall_time", "s", "wall time of the run"),
        Figure("bench_time", "s", "bench time of the run"),
    )

    def options(self) -> list[str]:
        from labctl.learning.config import TrainConfig

        return [name for name in TrainConfig.model_fields if name != "memory"]

    def configure(self, options: dict[str, Any]) -> dict[str, Any]:
        from labctl.learning.config import TrainConfig

        given = {"threads": 1, **options}
        if given.get("setup"):
            given["setup"] = str(Path(given["setup"]).resolve())
        for name, cast in (("hidden", int), ("tasks", str)):
            if name in given:
                given[name] = _listed(given[name], cast)
        if isinstance(given.get("tolerance"), int | float):  # µS, as on the command line
            given["tolerance"] = given["tolerance"] * 1e-6
        return TrainConfig.build(**given).model_dump(mode="json")

    def backend(self, config: dict[str, Any]) -> str:
        return str(config["backend"])

    def setup(self, config: dict[str, Any]) -> str | None:
        """The bench setup file of a run on the chip (None for a simulated chip)."""
        return config.get("setup") if self.backend(config) == "chip" else None

    def tasks(self, config: dict[str, Any]) -> list[str]:
        return list(config["tasks"])

    def run(self, config: dict[str, Any], out: Path, data_dir: Path | None, progress: Progress,
            resume: bool) -> None:
        from labctl.archive import ArchiveError
        from labctl.backends import run_provenance
        from labctl.datasets import DatasetFetcher
        from labctl.learning.archive import load_resume
        from labctl.learning.config import TrainConfig
        from labctl.training import run_training

        train = TrainConfig.model_validate(config)
        previous = origin = None
        if resume:
            try:
                _, previous, origin = load_resume(out)
            except ArchiveError:  # killed in its first epoch: nothing to continue from
                previous = origin = None
        fetcher = DatasetFetcher(data_dir, announce=progress)
        data = [fetcher.load(task) for task in train.tasks]
        setup = Path(train.setup) if train.setup else None

        def epoch_done(record: Any) -> None:
            scores = ", ".join(f"{t} {100 * a:.1f}%"
                               for t, a in zip(train.tasks, record.accuracy, strict=True))
            progress(f"{record.task} epoch {record.epoch + 1}/{train.epochs}: {scores}")

        run_training(train, data, out, previous, on_epoch=epoch_done, origin=origin,
                     provenance=run_provenance(setup, None, None))

    def scalars(self, summary: dict[str, Any]) -> dict[str, float]:
        figures = {"writes_per_device_mean": summary["writes_per_device_mean"],
                   "writes_per_device_max": summary["writes_per_device_max"],
                   "level_changes": sum(summary["level_changes_per_epoch"]),
                   "pulses": summary["pulses"], "failed_writes": summary["failed_writes"],
                   "wall_time": summary["wall_time"], "bench_time": summary["bench_time"]}
        wear = summary.get("wear")
        if wear:
            figures["devices_worn_fraction"] = wear["devices_worn"] / wear["devices"]
            figures["switching_pulses_max"] = wear["switching_pulses_max"]
            figures["endurance_budget_used_max"] = wear["budget_used_max"]
        return figures


class ProgramCommand(SweepCommand):
    """``labctl program``; conductance options in µS, as on its command line. A killed run
    starts again (programming has no checkpoint to resume from)."""

    name = "program"
    figures = (
        Figure("success_rate", "1", "cells that verified in band"),
        Figure("readback_error", "1", "cells out of band at read-back"),
        Figure("readback_error_after_wait", "1", "cells out of band after --wait"),
        Figure("pulses_mean", "1", "pulses per cell, mean"),
        Figure("pulses_p95", "1", "pulses per cell, 95th percentile"),
        Figure("energy_total", "J", "programming energy"),
        Figure("bench_time", "s", "bench time of the run"),
        Figure("wall_time", "s", "wall time of the run"),
    )

    def options(self) -> list[str]:
        from labctl.programming import ProgramConfig

        return ["backend", "setup", *ProgramConfig.model_fields]

    def configure(self, options: dict[str, Any]) -> dict[str, Any]:
        from labctl.backends import check_backend, chip_geometry
        from labctl.programming import program_config, validate

        given = dict(options)
        backend, setup = given.pop("backend", "mock"), given.pop("setup", None)
        setup = str(Path(setup).resolve()) if setup else None
        config = program_config(**given)
        setup_path = Path(setup) if setup else None
        check_backend(backend, setup_path, config.device)
        validate(config, chip_geometry(backend, setup_path))
        return {"backend": backend, "setup": setup, **config.model_dump(mode="json")}

    def backend(self, config: dict[str, Any]) -> str:
        return str(config["backend"])

    def run(self, config: dict[str, Any], out: Path, data_dir: Path | None, progress: Progress,
            resume: bool) -> None:
        from labctl.backends import open_bench, run_provenance
        from labctl.programming import ProgramConfig, program_archived

        settings = dict(config)
        backend, setup = settings.pop("backend"), settings.pop("setup")
        program = ProgramConfig.model_validate(settings)
        setup_path = Path(setup) if setup else None
        started: set[str] = set()

        def phase(name: str, done: int, total: int) -> None:
            if name not in started:
                started.add(name)
                progress(name)

        with open_bench(backend, setup_path, program.seed, device=program.device) as bench:
            program_archived(program, bench, out,
                             run_provenance(setup_path, None, None, bench), phase)

    def scalars(self, summary: dict[str, Any]) -> dict[str, float]:
        readback = summary["readback_error"]
        waited = [float(d) for d in readback if float(d) > 0]
        phases = summary.get("phases", {})
        figures = {"success_rate": summary["success_rate"],
                   "pulses_mean": summary["pulses_mean"], "pulses_p95": summary["pulses_p95"],
                   "energy_total": summary["energy_total"],
                   "wall_time": sum(p["wall_time"] for p in phases.values())}
        if "0" in readback:
            figures["readback_error"] = readback["0"]
        if waited:
            figures["readback_error_after_wait"] = readback[f"{max(waited):g}"]
        if "bench_time" in summary:
            figures["bench_time"] = summary["bench_time"]
        return figures


COMMANDS: dict[str, SweepCommand] = {c.name: c for c in (TrainCommand(), ProgramCommand())}
"""Every command a sweep can run, by name."""


def command(name: str) -> SweepCommand:
    """The sweep command called ``name``; ConfigError naming the ones there are."""
    try:
        return COMMANDS[name]
    except KeyError:
        raise ConfigError(f"a sweep cannot run command {name!r}: use one of "
                          f"{', '.join(COMMANDS)}") from None
