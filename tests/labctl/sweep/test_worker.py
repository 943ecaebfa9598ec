"""A worker brings a run to its end whatever an earlier attempt left: a complete archive is
read, not redone; a killed run continues from its checkpoint to the uninterrupted result; a
failed one runs again only when failures are retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import pytest

from labctl.archive import Archive, ArchiveWriter
from labctl.archive.schema import Layout
from labctl.sweep import plan_sweep, spec_from
from labctl.sweep.plan import RunPlan
from labctl.sweep.worker import Action, execute

pytestmark = pytest.mark.skipif(
    "LABCTL_DATASETS" not in os.environ, reason="set LABCTL_DATASETS to the datasets directory")

TABLES = {"command": "train", "options": {"hidden": [32], "epochs": 2, "limit": 1200},
          "grid": {"seed": [5]}}


def plan_in(directory: Path) -> RunPlan:
    return plan_sweep(spec_from(TABLES), directory).runs[0]


def checkpointed(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return bool(f["entry/checkpoint/position"][2])
    except (OSError, KeyError):
        return False


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory):
    """The run done in one go."""
    plan = plan_in(tmp_path_factory.mktemp("whole"))
    outcome = execute(plan, None, retry_failed=False)
    assert outcome.status == "complete" and outcome.action is Action.STARTED
    return plan, outcome


def test_a_complete_run_is_found_and_not_run_again(whole):
    plan, first = whole
    stamp = plan.archive.stat().st_mtime_ns
    again = execute(plan, None, retry_failed=True)
    assert again.action is Action.FOUND and first.attempts == again.attempts == 1
    assert (again.figures, again.accuracy) == (first.figures, first.accuracy)
    assert plan.archive.stat().st_mtime_ns == stamp


def test_a_killed_run_resumes_to_the_uninterrupted_figures(whole, tmp_path: Path):
    plan = plan_in(tmp_path)
    assert plan.key == whole[0].key
    script = textwrap.dedent(f"""
        from pathlib import Path
        from labctl.sweep import plan_sweep, spec_from
        from labctl.sweep.worker import execute
        execute(plan_sweep(spec_from({TABLES!r}), Path({str(tmp_path)!r})).runs[0], None, False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 300
    while not checkpointed(plan.archive):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    resumed = execute(plan, None, retry_failed=False)
    assert resumed.action is Action.RESUMED and resumed.status == "complete"
    assert resumed.attempts == 2  # the killed attempt counts
    exact = {k: v for k, v in resumed.figures.items() if k != "wall_time"}
    assert exact == {k: v for k, v in whole[1].figures.items() if k != "wall_time"}
    assert resumed.accuracy == whole[1].accuracy
    with Archive(plan.archive) as archive:
        assert archive.stored_summary["resumes"] == 1


def test_a_failed_run_is_kept_unless_failures_are_retried(whole, tmp_path: Path):
    plan = plan_in(tmp_path)
    writer = ArchiveWriter(plan.archive, "train", Layout(), backend="software", seed=5,
                           config=plan.config)
    writer.fail("the bench stopped answering")
    kept = execute(plan, None, retry_failed=False)
    assert (kept.status, kept.action, kept.error) == ("failed", Action.FOUND,
                                                     "the bench stopped answering")
    retried = execute(plan, None, retry_failed=True)
    assert (retried.status, retried.action) == ("complete", Action.STARTED)
    assert retried.accuracy == whole[1].accuracy


def test_an_unreadable_archive_is_a_failure_that_says_what_to_do(tmp_path: Path):
    plan = plan_in(tmp_path)
    plan.archive.parent.mkdir(parents=True)
    plan.archive.write_bytes(b"not an archive")
    outcome = execute(plan, None, retry_failed=False)
    assert outcome.status == "failed" and outcome.action is Action.FOUND
    assert "--retry-failed" in (outcome.error or "")
    assert plan.archive.read_bytes() == b"not an archive"
