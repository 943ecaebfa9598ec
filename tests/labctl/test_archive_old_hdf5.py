"""Archives open, whole, in an older HDF5: h5py 3.8 built on HDF5 1.12.2, in its own venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.labctl.cli_runner import run_cli

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory"
)

OLD_H5PY = ["h5py==3.8.0", "numpy<2"]
OLD_HDF5 = "1.12.2"

_DUMP = """
import hashlib, json, sys
import h5py, numpy as np
out = {"hdf5": h5py.version.hdf5_version, "attrs": {}, "data": {}}
with h5py.File(sys.argv[1], "r") as f:
    out["attrs"] = {k: str(v) for k, v in f.attrs.items()}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            value = np.asarray(obj[()])
            if value.dtype.kind in "OSU":
                value = np.array([str(v) for v in value.ravel()])
            out["data"][name] = [list(value.shape), float(np.nansum(value.astype(float)))
                                 if value.dtype.kind in "biuf" else "|".join(value.ravel())]
    f.visititems(visit)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def old_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv with the old h5py (from the package index)."""
    where = tmp_path_factory.mktemp("old-hdf5")
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q",
                              "--disable-pip-version-check", *OLD_H5PY],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, f"cannot install {OLD_H5PY}: {install.stderr[-2000:]}"
    return python


def _dump_here(path: Path) -> dict:
    return json.loads(subprocess.run([sys.executable, "-c", _DUMP, str(path)], check=True,
                                     capture_output=True, text=True).stdout)


@pytest.mark.parametrize("kind", ["program", "train"])
def test_an_older_hdf5_reads_every_dataset_and_attribute(old_python: Path, tmp_path: Path,
                                                         kind: str) -> None:
    path = tmp_path / f"{kind}.h5"
    args = (["program", "--rows", "0:4", "--cols", "0:8", "--levels", "4", "--wait", "1"]
            if kind == "program" else
            ["train", "--backend", "mock", "--hidden", "8", "--limit", "300", "--epochs", "1"])
    code, out = run_cli(*args, "--out", str(path))
    assert code == 0, out
    old = subprocess.run([str(old_python), "-c", _DUMP, str(path)], capture_output=True,
                         text=True, timeout=120)
    assert old.returncode == 0, old.stderr[-2000:]
    seen, here = json.loads(old.stdout), _dump_here(path)
    assert seen["hdf5"] == OLD_HDF5 != h5py.version.hdf5_version
    assert seen["attrs"] == here["attrs"]
    assert seen["data"].keys() == here["data"].keys()
    for name, (shape, digest) in here["data"].items():
        assert seen["data"][name][0] == shape, name
        if isinstance(digest, float):
            np.testing.assert_allclose(seen["data"][name][1], digest, rtol=1e-12, err_msg=name)
        else:
            assert seen["data"][name][1] == digest, name
