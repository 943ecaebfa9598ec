"""``labctl sweep``: many runs of one command over a grid, as tasks on dask.distributed."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from drivers.errors import LabError
from labctl.cli.app import app, console, report

if TYPE_CHECKING:
    from labctl.sweep.runner import SweepState


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@app.command()
def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec TOML: command, \\[options], \\[grid].")],
    out: Annotated[Path, typer.Option(
        help="Folder of the sweep: its index sweep.h5 and runs/ (shared storage on a cluster).")],
    workers: Annotated[int, typer.Option(
        min=1, help="Local worker processes, one thread each (default: this machine's cores).")
    ] = _cores(),
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler (tcp://host:8786) to send the runs to.")
    ] = None,
    retry_failed: Annotated[bool, typer.Option(
        help="Run the failed runs again (otherwise they are kept as failed).")] = False,
    data_dir: Annotated[Path | None, typer.Option(
        help="Dataset directory (default: $LABCTL_DATASETS).")] = None,
    plot: Annotated[bool, typer.Option(
        help="Draw every figure against every swept option (PNG, in OUT/plots).")] = False,
) -> None:
    """Run every point of a grid of options as its own archived run; rerun to continue."""
    from labctl.sweep import load_spec, plan_sweep

    plan = plan_sweep(load_spec(spec), out)
    from labctl.cli.progress import SweepView, sweep_progress
    from labctl.sweep import run_sweep

    console.print(f"sweep: {len(plan.runs)} {plan.spec.command} runs into {plan.directory}"
                  + (f" on {scheduler}" if scheduler else f" on {workers} local workers"),
                  highlight=False, soft_wrap=True)

    with sweep_progress(len(plan.runs)) as show:

        def watch(state: SweepState, run: Any, outcome: Any) -> None:
            show(SweepView(state.ended, state.complete, state.failed,
                           state.actions["found"], dict(state.running)))

        state = run_sweep(plan, workers=workers, scheduler=scheduler,
                          retry_failed=retry_failed, data_dir=data_dir, watch=watch,
                          announce=lambda text: console.print(text, highlight=False,
                                                              soft_wrap=True))
    _report(plan.index_path, plot)
    if state.failed:
        raise LabError(f"{state.failed} of {state.total} runs failed (listed above): fix the "
                       f"cause and rerun with --retry-failed")


def _report(index: Path, plot: bool) -> None:
    from labctl.archive.reader import checked
    from labctl.reports import summarise

    with checked(index) as archive:
        print_sweep_summary(summarise(archive))
        if plot:
            from labctl.plots.sweep import plot_sweep

            for path in plot_sweep(archive, index.parent / "plots"):
                console.print(f"plot: {path}")
    console.print(f"index: {index}")


SHOWN = {"train": ("writes_per_device_mean", "writes_per_device_max", "level_changes",
                   "wall_time"),
         "program": ("success_rate", "readback_error", "readback_error_after_wait",
                     "pulses_mean", "wall_time")}
"""Scalar figures the table shows, after any accuracies (``--json`` has them all)."""


def print_sweep_summary(summary: dict[str, Any]) -> None:
    """Per grid point, mean ± std over the seeds: the accuracy on every task after every task
    (training sweeps), then the key figures."""
    pooled = summary["pooled"]
    counted = sum(g["complete"] for g in summary["groups"])
    spread = f", mean ± std over {pooled}s" if pooled else ""
    report.print(f"{summary['command']} sweep: {counted} of {summary['runs']} runs complete"
                 f"{spread}", highlight=False)
    if summary["tasks"]:
        _accuracy_table(summary)
    shown = [n for n in SHOWN.get(summary["command"], ()) if n in summary["units"]]
    table = _point_table(summary, "Key figures")
    for name in shown:
        table.add_column(_header(name, summary["units"][name]), justify="right")
    for group in summary["groups"]:
        table.add_row(*_point_cells(summary, group),
                      *(_stat(group["figures"][n], _scale(n)) for n in shown))
    report.print(table)
    for failure in summary["failures"]:
        report.print(f"failed: {failure['run']}: {failure['error']}", soft_wrap=True)


def _accuracy_table(summary: dict[str, Any]) -> None:
    tasks = summary["tasks"]
    table = _point_table(summary, "Test accuracy (%) after each task")
    table.add_column("after")
    for task in tasks:
        table.add_column(task, justify="right")
    for group in summary["groups"]:
        point = _point_cells(summary, group)
        for after in tasks:
            stats = [group["figures"].get(f"accuracy {task} after {after}") for task in tasks]
            if all(s is None for s in stats):
                continue
            table.add_row(*point, after, *(_stat(s, 100) if s else "-" for s in stats))
            point = [""] * len(point)
    report.print(table)


def _point_table(summary: dict[str, Any], title: str) -> Table:
    table = Table(title=title)
    for axis in summary["grouped_by"]:
        table.add_column(axis)
    table.add_column("runs", justify="right")
    return table


def _point_cells(summary: dict[str, Any], group: dict[str, Any]) -> list[str]:
    from labctl.sweep.spec import shown

    return [*(shown(group["point"][axis]) for axis in summary["grouped_by"]),
            f"{group['complete']}/{group['runs']}"]


def _header(name: str, unit: str) -> str:
    from labctl.reports.sweep import is_fraction

    unit = "%" if is_fraction(name) else unit
    return name.replace("_", " ") + ("" if unit == "1" else f" ({unit})")


def _scale(name: str) -> float:
    from labctl.reports.sweep import is_fraction

    return 100.0 if is_fraction(name) else 1.0


def _stat(stat: dict[str, Any], scale: float) -> str:
    if not stat["count"]:
        return "-"
    return _number(stat["mean"] * scale) + (
        "" if stat["std"] is None else f" ± {_number(stat['std'] * scale, 2)}")


def _number(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, without an exponent below 10^6."""
    if value == 0 or not 1e-3 <= abs(value) < 1e6:
        return f"{value:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"
