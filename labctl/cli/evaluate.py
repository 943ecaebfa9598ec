"""``labctl evaluate``: accuracy of a finished training run's weights as they relax on the chip."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli.app import app, console
from labctl.durations import format_duration, parse_durations

if TYPE_CHECKING:
    from labctl.evaluation import ReadBack


@app.command()
def evaluate(
    file: Annotated[Path, typer.Argument(help="Archive of a finished mock or chip training run.")],
    after: Annotated[str, typer.Option(
        help="Times after training to read the weights back at, comma-separated: 0, 1h, 1d, "
             "1w (mock: simulated time; chip: real time, waited for).")] = "1h,1d,1w",
    refresh: Annotated[bool, typer.Option(
        help="After each read-back, rewrite the weights that drifted off their level, report "
             "what that cost, and evaluate again.")] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="Dataset directory (default: $LABCTL_DATASETS).")
    ] = None,
    plot: Annotated[bool, typer.Option(
        help="Redraw the run's figure with accuracy against time after training (PNG).")
    ] = False,
) -> None:
    """Let a finished run's weights relax on their chip, read them back after each time and
    evaluate every task; the read-backs join the run's archive (its evaluation table)."""
    afters = parse_durations(after, "--after")
    from labctl.archive import Archive
    from labctl.cli.train import print_evaluation
    from labctl.datasets import DatasetFetcher
    from labctl.evaluation import evaluate_archive
    from labctl.learning.archive import load_finished
    from labctl.reports import summarise

    config, _ = load_finished(file)
    fetcher = DatasetFetcher(data_dir, announce=lambda text: console.print(
        text, highlight=False, soft_wrap=True))
    data = [fetcher.load(task) for task in config.tasks]
    with console.status("restoring the run's chip", spinner="dots") as status:
        def shown(point: ReadBack) -> None:
            scores = ", ".join(f"{task} {100 * a:.2f} %"
                               for task, a in zip(config.tasks, point.accuracy, strict=True))
            status.update(f"{format_duration(point.after)} after training"
                          f"{', refreshed' if point.refreshed else ''}: {scores}")

        evaluate_archive(file, afters, refresh, data, shown)
    with Archive(file) as archive:
        points = summarise(archive)["evaluation"]
        print_evaluation([p for p in points if p["session"] == points[-1]["session"]],
                         list(config.tasks))
        console.print(f"archive: {file} (evaluation table)")
        if plot:
            from labctl.plots.train import plot_train

            console.print(f"plot: {plot_train(archive, file.with_suffix('.png'))}")
