"""``labctl train``: metaplastic training of the quantized MLP on tasks in sequence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from drivers.errors import ConfigError
from labctl.archive.paths import default_path
from labctl.cli.app import app, console, report
from labctl.cli.options import DeviceModelName, Operator, Sample
from labctl.cli.progress import train_progress
from labctl.device_model import device_overrides
from labctl.durations import format_duration
from labctl.learning.config import TrainConfig

if TYPE_CHECKING:
    from labctl.archive.provenance import Provenance
    from labctl.datasets import TaskData
    from labctl.learning import TrainResult
    from labctl.learning.archive import Origin
    from labctl.learning.trainer import Resume

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
    tolerance: Annotated[float | None, typer.Option(
        help="Half-width of each level's write-verify band on the chip (µS; default 2, or a "
             "quarter of the level spacing when closer).")] = None,
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
    eval_batch_size: Annotated[int, typer.Option(
        help="Test batch size; BatchNorm normalises with each test batch's statistics, so it "
             "shapes the accuracy (the binary reference tests in batches of 100).")
    ] = _DEFAULTS.eval_batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _DEFAULTS.lr,
    lr_schedule: Annotated[
        str, typer.Option(help="Learning rate within each task: constant | cosine (to zero).")
    ] = _DEFAULTS.lr_schedule.value,
    lr_warmup: Annotated[float, typer.Option(
        help="Fraction of each task's steps over which the hidden weights' rate rises.")
    ] = _DEFAULTS.lr_warmup,
    threads: Annotated[int, typer.Option(
        help="CPU threads of the run's tensor arithmetic.")] = _DEFAULTS.threads,
    device: Annotated[str | None, typer.Option(
        help="Device-model overrides of the simulated chip (mock): NAME=VALUE,... e.g. "
             "read_rel_sigma=0.02,stuck_lrs_fraction=0.01.")] = None,
    device_model: DeviceModelName = None,
    placement: Annotated[str | None, typer.Option(
        help="Layers on the bench's chip, the rest on its digital twin: auto (output layer "
             "first, while they fit), all, none, or names such as fc2 (default: auto on the "
             "chip; on the mock, one simulated chip that fits every layer).")] = None,
    twin_model: Annotated[str | None, typer.Option(
        help="The digital twin's device model: a preset or a labctl calibrate file "
             "(default: the setup's \\[twin], else typical).")] = None,
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
    sample: Sample = None,
    operator: Operator = None,
) -> None:
    """Train on the tasks in sequence and print the accuracy on every task after every task."""
    previous = origin = None
    if resume is not None:
        from labctl.learning.archive import load_resume

        config, previous, origin = load_resume(resume)
        out = resume
        console.print(_resuming(config, previous, resume), highlight=False)
    else:
        config = TrainConfig.build(
            backend=backend, setup=str(setup) if setup else None, levels=levels,
            tolerance=None if tolerance is None else tolerance * 1e-6,
            hidden=_int_list(hidden, "--hidden"), epochs=epochs,
            meta=meta, meta_variant=meta_variant, activation_bits=activation_bits,
            tasks=[t.strip() for t in tasks.split(",") if t.strip()], limit=limit, seed=seed,
            batch_size=batch_size, eval_batch_size=eval_batch_size, lr=lr,
            lr_schedule=lr_schedule, lr_warmup=lr_warmup,
            bn_scenario=bn_scenario, threads=threads, device=device_overrides(device_model, device),
            placement=placement, twin_model=twin_model,
        )
        out = out or default_path("train")
    from labctl.archive import Archive
    from labctl.backends import run_provenance
    from labctl.datasets import DatasetFetcher
    from labctl.reports import summarise

    fetcher = DatasetFetcher(data_dir, announce=lambda text: console.print(
        text, highlight=False, soft_wrap=True))
    data = [fetcher.load(task) for task in config.tasks]
    provenance = run_provenance(Path(config.setup) if config.setup else None, sample, operator)
    _run_with_progress(config, data, out, previous, origin, provenance)
    report.print(f"backend {config.backend}, N={config.levels}, m*={config.meta:g}, BN scenario "
                 f"{config.bn_scenario}, seed {config.seed}", soft_wrap=True)
    with Archive(out) as archive:
        print_train_summary(summarise(archive))
        if plot:
            from labctl.plots.train import plot_train

            console.print(f"plot: {plot_train(archive, out.with_suffix('.png'))}")
    console.print(f"archive: {out}")


def _resuming(config: TrainConfig, resume: Resume, archive: Path) -> str:
    """Where a resumed run picks up, in the words of its progress bars."""
    done = len(resume.epochs)
    task, epoch = resume.position.task, resume.position.epoch
    if task >= len(config.tasks):
        return f"resuming {archive}: all {done} epochs are archived; finishing the run"
    return (f"resuming {archive}: {config.tasks[task]} epoch {epoch + 1}/{config.epochs} "
            f"(task {task + 1} of {len(config.tasks)}), after {done} archived epochs")


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
    figures = [
        f"writes/device max {summary['writes_per_device_max']} mean "
        f"{summary['writes_per_device_mean']:.2f}",
        "level changes per epoch "
        f"{', '.join(map(str, summary['level_changes_per_epoch']))}",
        f"failed writes {summary['failed_writes']}", f"link retries {summary['link_retries']}",
        f"bench time {summary['bench_time']:.1f} s",
    ]
    if "memory" in summary:
        memory = summary["memory"]
        figures.append(f"digital memory {memory['total_bits'] / 8e6:.2f} MB, "
                       f"{memory['ratio_vs_reference']:.1f}x less than the BNN reference")
    if "wear" in summary:
        wear = summary["wear"]
        figures.append(f"devices worn out {wear['devices_worn']} of {wear['devices']} "
                       f"(switching pulses per device max {wear['switching_pulses_max']}, mean "
                       f"{wear['switching_pulses_mean']:.1f}; {100 * wear['budget_used_max']:.2g} "
                       f"% of the endurance budget at most)")
    if "wall_time" in summary:
        figures.append(f"wall {summary['wall_time']:.0f} s")
    report.print("; ".join(figures), soft_wrap=True)
    layers = summary.get("layers", {})
    if any(figures["on"] != "software" for figures in layers.values()):
        print_layers(layers)
    if summary.get("evaluation"):
        print_evaluation(summary["evaluation"], tasks)


def print_evaluation(points: list[dict], tasks: list[str]) -> None:
    """Every task's accuracy at each read-back of ``labctl evaluate``, with the loss against
    the end of training, then what each refresh cost."""
    sessions = len({p["session"] for p in points}) > 1
    table = Table(title="Test accuracy (%) as the weights relaxed, and its change since the "
                        "end of training (pp)")
    for column in [*(["#"] if sessions else []), "after", "", *tasks, "off level %"]:
        table.add_column(column, justify="left" if column in ("after", "") else "right",
                         no_wrap=column in tasks)
    for p in points:
        scores = (f"{100 * p['accuracy'][t]:.2f} ({-p['loss_pp'][t]:+.2f})" if t in p["loss_pp"]
                  else f"{100 * p['accuracy'][t]:.2f}" for t in tasks)
        table.add_row(*([str(p["session"])] if sessions else []), format_duration(p["after"]),
                      "refreshed" if p["refreshed"] else "as read", *scores,
                      f"{100 * p['readback_error']:.2f}")
    report.print(table)
    refreshes = [p for p in points if p["refreshed"]]
    if refreshes:
        report.print("refreshes rewrote: " + "; ".join(
            f"{format_duration(p['after'])}: {p['writes']} weights, {p['pulses']} pulses, "
            f"{p['failed_writes']} failed, {p['bench_time']:.2f} s" for p in refreshes),
            soft_wrap=True)


def print_layers(layers: dict[str, dict]) -> None:
    """Per layer: where it lives, what writing it cost, how well it holds its levels."""
    table = Table(title="Layers")
    for column in ("layer", "on", "writes", "pulses", "failed", "read-back error %"):
        table.add_column(column, justify="left" if column in ("layer", "on") else "right")
    for name, f in layers.items():
        table.add_row(name, f["on"], str(f["writes"]), str(f["pulses"]),
                      str(f["failed_writes"]), f"{100 * f['readback_error']:.2f}")
    report.print(table)


def _run_with_progress(
    config: TrainConfig, data: list[TaskData], out: Path, resume: Resume | None,
    origin: Origin | None, provenance: Provenance,
) -> TrainResult:
    from labctl.training import run_training

    per_epoch = [-(-len(d.limited(config.limit).train_labels) // config.batch_size)
                 for d in data]
    done = [sum(r.task == t for r in resume.epochs) if resume else 0 for t in config.tasks]
    with train_progress(config.tasks, config.epochs, per_epoch, done) as progress:
        return run_training(
            config, data, out, resume, progress.batch,
            lambda record: progress.epoch(record.task, record.epoch, record.accuracy),
            origin=origin, provenance=provenance)
