"""``labctl train``: metaplastic training of the quantized MLP on tasks in sequence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from drivers.errors import ConfigError
from labctl.archive import Archive
from labctl.archive.provenance import Provenance
from labctl.backends import run_provenance
from labctl.cli.app import app, console, default_out, report
from labctl.datasets import DatasetFetcher, TaskData
from labctl.learning import EpochRecord, TrainConfig, TrainResult
from labctl.learning.archive import Origin, load_resume
from labctl.learning.trainer import Resume
from labctl.plots.train import plot_train
from labctl.training import run_training

_DEFAULTS = TrainConfig()


def _int_list(text: str, option: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"invalid {option}: {text!r} is not a comma-separated list of integers"
        ) from None


@app.command("train")
def train_command(
    backend: Annotated[str, typer.Option(
        help="software (ideal), mock (simulated chip) or chip (--setup).")] = "software",
    setup: Annotated[Path | None, typer.Option(help="Bench setup TOML (for chip).")] = None,
    levels: Annotated[int, typer.Option(help="Quantization levels N (>= 2).")] = _DEFAULTS.levels,
    hidden: Annotated[str, typer.Option(help="Hidden widths, comma-separated.")] = ",".join(
        map(str, _DEFAULTS.hidden)
    ),
    epochs: Annotated[int, typer.Option(help="Epochs per task.")] = _DEFAULTS.epochs,
    meta: Annotated[
        float, typer.Option(help="Metaplasticity strength m* (0: non-metaplastic control).")
    ] = _DEFAULTS.meta,
    meta_variant: Annotated[
        str, typer.Option(help="interval | global | lower.")
    ] = _DEFAULTS.meta_variant.value,
    activation_bits: Annotated[
        int, typer.Option(help="Hidden activation bits (1: sign with STE).")
    ] = _DEFAULTS.activation_bits,
    tasks: Annotated[str, typer.Option(help="Tasks in training order.")] = ",".join(
        _DEFAULTS.tasks
    ),
    limit: Annotated[
        int | None, typer.Option(help="Use the first N training samples of each task.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = _DEFAULTS.seed,
    batch_size: Annotated[int, typer.Option(help="Training batch size.")] = _DEFAULTS.batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _DEFAULTS.lr,
    lr_schedule: Annotated[
        str, typer.Option(help="Learning rate within each task: constant | cosine (to zero).")
    ] = _DEFAULTS.lr_schedule.value,
    lr_warmup: Annotated[float, typer.Option(
        help="Fraction of each task's steps over which the hidden weights' rate rises.")
    ] = _DEFAULTS.lr_warmup,
    bn_scenario: Annotated[
        str, typer.Option(help="task: BN saved per task; domain: one shared BN.")
    ] = _DEFAULTS.bn_scenario,
    data_dir: Annotated[
        Path | None, typer.Option(help="Dataset directory (default: $LABCTL_DATASETS).")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        help="Archive of the run (default runs/train-<time>.h5).")] = None,
    resume: Annotated[Path | None, typer.Option(
        help="Continue the run archived in this file from its last checkpoint.")] = None,
    plot: Annotated[
        bool, typer.Option(help="Draw accuracy vs epoch and the writes histogram (PNG).")
    ] = False,
    sample: Annotated[str | None, typer.Option(
        help="Chip or sample id for the archive (default: the setup's [chip] id).")] = None,
    operator: Annotated[str | None, typer.Option(
        help="Who ran it, for the archive (default: the login name).")] = None,
) -> None:
    """Train on the tasks in sequence and print the accuracy on every task after every task."""
    previous = origin = None
    if resume is not None:
        config, previous, origin = load_resume(resume)
        out = resume
    else:
        config = TrainConfig.build(
            backend=backend, setup=str(setup) if setup else None, levels=levels,
            hidden=_int_list(hidden, "--hidden"), epochs=epochs,
            meta=meta, meta_variant=meta_variant, activation_bits=activation_bits,
            tasks=[t.strip() for t in tasks.split(",") if t.strip()], limit=limit, seed=seed,
            batch_size=batch_size, lr=lr, lr_schedule=lr_schedule, lr_warmup=lr_warmup,
            bn_scenario=bn_scenario,
        )
        out = out or default_out("train")
    fetcher = DatasetFetcher(data_dir)
    data = [fetcher.load(task) for task in config.tasks]
    provenance = run_provenance(Path(config.setup) if config.setup else None, sample, operator)
    result = _run_with_progress(config, data, out, previous, console, origin, provenance)
    report.print(summary_table(result))
    console.print(f"archive: {out}")
    if plot:
        with Archive(out) as archive:
            console.print(f"plot: {plot_train(archive, out.with_suffix('.png'))}")


def print_train_summary(summary: dict) -> None:
    """Accuracy on every task after every task, from an archive's summary."""
    tasks = summary["tasks"]
    table = Table(title="Test accuracy (%) after each task")
    table.add_column("after")
    for task in tasks:
        table.add_column(task, justify="right")
    done = summary["accuracy_after_task"]
    for after in (t for t in tasks if t in done):
        table.add_row(after, *(f"{100 * done[after][t]:.2f}" for t in tasks))
    report.print(table)
    report.print(f"writes/device max {summary['writes_per_device_max']} mean "
                 f"{summary['writes_per_device_mean']:.2f}; level changes per epoch "
                 f"{', '.join(map(str, summary['level_changes_per_epoch']))}; failed writes "
                 f"{summary['failed_writes']}; link retries {summary['link_retries']}; bench "
                 f"time {summary['bench_time']:.1f} s")


def _run_with_progress(
    config: TrainConfig, data: list[TaskData], out: Path, resume: Resume | None,
    console: Console, origin: Origin | None, provenance: Provenance,
) -> TrainResult:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[status]}"))
    with Progress(*columns, console=console) as progress:
        bars: dict[tuple[str, int], int] = {}
        epoch_of = dict.fromkeys(config.tasks, 0)
        if resume is not None:
            for record in resume.epochs:
                epoch_of[record.task] += 1

        def on_batch(task: str, total: int) -> None:
            key = (task, epoch_of[task])
            if key not in bars:
                bars[key] = progress.add_task(
                    f"{task} epoch {key[1] + 1}/{config.epochs}", total=total, status=""
                )
            progress.advance(bars[key])

        def on_epoch(record: EpochRecord) -> None:
            scores = "  ".join(f"{t} {100 * a:.2f}%"
                               for t, a in zip(config.tasks, record.accuracy, strict=True))
            progress.update(bars[(record.task, record.epoch)], status=scores)
            epoch_of[record.task] += 1

        return run_training(config, data, out, resume, on_batch, on_epoch, origin=origin,
                            provenance=provenance)


def summary_table(result: TrainResult) -> Table:
    """Accuracy on every task after every task, with write and memory figures underneath."""
    c = result.config
    table = Table(title=f"Test accuracy (%) after each task — backend {c.backend}, "
                        f"N={c.levels}, m*={c.meta}, BN scenario: {c.bn_scenario}")
    table.add_column("after")
    for task in c.tasks:
        table.add_column(task, justify="right")
    for task, row in zip(c.tasks, result.after_task, strict=True):
        table.add_row(task, *(f"{100 * a:.2f}" for a in row))
    counts = result.all_write_counts()
    memory = result.memory
    table.caption = (
        f"writes/device max {counts.max()} mean {counts.mean():.2f}; level changes per epoch "
        f"{', '.join(str(n) for n in result.level_changes)}; digital memory "
        f"{memory['total_bits'] / 8e6:.2f} MB, {memory['ratio_vs_reference']:.1f}x less than "
        f"the BNN reference; wall {result.wall_seconds:.0f} s"
    )
    return table
