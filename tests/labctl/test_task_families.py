"""Permuted MNIST (``pmnist:K``): fixed, distinct pixel permutations of MNIST, train and test,
named pmnist-1..K; malformed families and repeated tasks refused in one line."""

from __future__ import annotations

import os

import numpy as np
import pytest

from drivers.errors import ConfigError
from labctl.datasets import DatasetFetcher
from labctl.datasets.families import PIXELS, base_task, expand, permutation_of
from labctl.learning.config import TrainConfig
from tests.labctl.cli_runner import run_cli


def test_a_family_expands_to_its_numbered_tasks_in_place():
    assert expand(["fashion-mnist", "pmnist:3"]) == ["fashion-mnist", "pmnist-1", "pmnist-2",
                                                     "pmnist-3"]
    assert TrainConfig.build(tasks=["pmnist:2"]).tasks == ["pmnist-1", "pmnist-2"]
    assert TrainConfig.build(tasks=["pmnist-4", "mnist"]).tasks == ["pmnist-4", "mnist"]
    assert base_task("pmnist-2") == "mnist" and base_task("fashion-mnist") == "fashion-mnist"


def test_each_task_has_its_own_fixed_permutation():
    perms = [permutation_of(f"pmnist-{k}") for k in range(1, 7)]
    for perm in perms:
        assert perm is not None and np.array_equal(np.sort(perm), np.arange(PIXELS))
        assert (perm != np.arange(PIXELS)).mean() > 0.99
    assert len({p.tobytes() for p in perms}) == 6
    assert np.array_equal(permutation_of("pmnist-3"), perms[2])
    assert permutation_of("mnist") is None and permutation_of("pmnist-0") is None


@pytest.mark.parametrize(("tasks", "message"), [
    ("pmnist:0", "invalid task family 'pmnist:0'"),
    ("pmnist:x", "invalid task family 'pmnist:x'"),
    ("pmnist:101", "from 1 to 100"),
    ("pmnist-0", "unknown task 'pmnist-0'"),
    ("pmnist:2,pmnist-1", "task 'pmnist-1' is named twice"),
])
def test_malformed_families_and_repeats_are_one_line(tasks: str, message: str):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.build(tasks=tasks.split(","))
    code, out = run_cli("train", "--tasks", tasks)
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1


@pytest.mark.skipif("LABCTL_DATASETS" not in os.environ, reason="real datasets not provided")
def test_a_permuted_task_is_mnist_with_its_pixels_moved_train_and_test():
    fetcher = DatasetFetcher()
    mnist, second = fetcher.load("mnist"), fetcher.load("pmnist-2")
    perm = permutation_of("pmnist-2")
    assert second.name == "pmnist-2"
    for base, moved in ((mnist.train_images, second.train_images),
                        (mnist.test_images, second.test_images)):
        assert moved.shape == base.shape and moved.dtype == np.uint8
        assert np.array_equal(moved.reshape(len(moved), -1), base.reshape(len(base), -1)[:, perm])
    assert np.array_equal(second.train_labels, mnist.train_labels)
    assert np.array_equal(second.test_labels, mnist.test_labels)
