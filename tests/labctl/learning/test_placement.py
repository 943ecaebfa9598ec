"""``--placement``: layers on the bench's chip, the rest on a digital twin, through the same
ChipStore code path; recorded in the archive, reported per layer, resumed exactly."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from drivers.errors import ConfigError
from labctl.archive import Archive
from labctl.learning.backends import make_weight_store
from labctl.learning.config import TrainConfig
from labctl.learning.hybrid_store import HybridStore
from labctl.learning.model import layer_shapes
from labctl.learning.placement import on_chip
from tests.labctl.cli_runner import run_cli

PAPER = layer_shapes([784, 1024, 512, 10])


def test_auto_places_whole_layers_output_first_while_they_fit() -> None:
    assert on_chip("auto", PAPER, 128, 128, 1) == ["fc2"]
    assert on_chip("auto", PAPER, 128, 128, 65) == ["fc1", "fc2"]
    assert on_chip("auto", PAPER, 128, 128, 177) == ["fc0", "fc1", "fc2"]
    assert on_chip("auto", layer_shapes([784, 1, 10]), 128, 128, 1) == ["fc0", "fc1"]
    assert on_chip("none", PAPER, 128, 128, 177) == []
    assert on_chip("fc2,fc0", PAPER, 128, 128, 177) == ["fc0", "fc2"]


@pytest.mark.parametrize(("spec", "message"), [
    ("all", r"fc0, fc1, fc2 need 177 arrays of 128x128 cells but the chip has 1; "
            r"--placement auto places the layers that fit"),
    ("fc1", "fc1 need 64 arrays"),
    ("fc3", "the network has no layer fc3; its layers are fc0, fc1, fc2"),
    ("output", "invalid --placement 'output': give auto, all, none or layer names"),
])
def test_a_placement_that_cannot_be_honoured_is_one_line(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        on_chip(spec, PAPER, 128, 128, 1)
    assert "\n" not in str(err.value)


def test_placement_needs_a_chip_backend() -> None:
    with pytest.raises(ConfigError, match="need --backend mock or chip"):
        TrainConfig.build(backend="software", placement="auto")
    with pytest.raises(ConfigError, match="no layer fc5"):
        TrainConfig.build(backend="mock", placement="fc5")


def test_the_twin_resumes_from_its_state_exactly() -> None:
    config = TrainConfig.build(backend="mock", placement="auto", hidden=[32], seed=4)
    store = make_weight_store(config)
    assert isinstance(store, HybridStore) and store.on_chip("fc1") and not store.on_chip("fc0")
    gen = torch.Generator().manual_seed(0)
    levels = {name: torch.randint(0, 8, shape, generator=gen)
              for name, shape in layer_shapes(config.sizes).items()}
    for name, values in levels.items():
        store.program(name, values)
    store.refresh()
    state = store.state()
    assert any(k.startswith("twin/sim/") for k in state) and any(k.startswith("sim/")
                                                                   for k in state)
    again = make_weight_store(config)
    try:
        again.resume(levels, state)
        for name in levels:
            torch.testing.assert_close(again.weights(name), store.weights(name), rtol=0, atol=0)
    finally:
        store.close()
        again.close()


@pytest.mark.skipif("LABCTL_DATASETS" not in os.environ, reason="real datasets not provided")
def test_a_hybrid_run_records_where_every_block_is_and_reports_each_layer(tmp_path: Path
                                                                         ) -> None:
    out = tmp_path / "hybrid.h5"
    code, text = run_cli("train", "--backend", "mock", "--placement", "auto", "--hidden", "32",
                         "--limit", "300", "--epochs", "1", "--out", str(out))
    assert code == 0, text
    assert "Layers" in text and "twin" in text
    with Archive(out) as archive:
        mapping, layers = archive.table("mapping"), archive.table("layer_epochs")
        assert "device model typical" in archive.instruments["twin"]
    np.testing.assert_array_equal(np.unique(mapping["on"][mapping["layer"] == 1]), [0])
    np.testing.assert_array_equal(np.unique(mapping["on"][mapping["layer"] == 0]), [1])
    assert layers.size == 2 * 2  # two layers, two epochs (one per task)
    assert (layers["writes"] > 0).all() and (layers["readback_error"] < 0.05).all()
