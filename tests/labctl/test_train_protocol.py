"""Reduced paper protocol on real data: the network learns, and metaplasticity retains MNIST.

Thresholds are set so a broken rule fails: without attenuation (m* = 0) Fashion-MNIST overwrites
MNIST, so the metaplastic run must keep MNIST clearly better than the control.
"""

from __future__ import annotations

import os

import pytest

from labctl.datasets import DatasetFetcher
from labctl.learning import TrainConfig, make_weight_store, train

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

# The default rule (interval variant, warm-up and cosine rate, 2-bit activations) on a third of
# the data with one narrow layer: hidden weights grow less in fewer steps, so the subset needs a
# stronger m*.
REDUCED = {"hidden": [256], "epochs": 3, "limit": 20000, "meta": 6.0, "threads": 2}


@pytest.fixture(scope="module")
def data():
    fetcher = DatasetFetcher(network=False)
    return [fetcher.load("mnist"), fetcher.load("fashion-mnist")]


def run(data, **overrides):
    config = TrainConfig.build(**{**REDUCED, **overrides})
    return train(config, data, make_weight_store(config))


def test_metaplasticity_retains_mnist_and_learns_fashion(data):
    meta = run(data)
    control = run(data, meta=0.0)
    mnist_learnt, _ = meta.after_task[0]
    mnist_kept, fashion = meta.after_task[1]
    print(f"meta: {100 * meta.after_task}\ncontrol: {100 * control.after_task}")
    assert mnist_learnt > 0.85
    assert fashion > 0.70
    assert control.after_task[1, 1] > 0.70
    assert mnist_kept > control.after_task[1, 0] + 0.15
    # Consolidation: once the rate has warmed up, level changes fall epoch after epoch.
    changes = meta.level_changes[:3].tolist()
    peak = changes.index(max(changes))
    assert peak < 2 and changes[2] < 0.5 * changes[peak]
    assert all(a > b for a, b in zip(changes[peak:], changes[peak + 1:], strict=False))
