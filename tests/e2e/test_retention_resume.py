"""``labctl retention --backend chip`` waits for real and, interrupted, goes on from its
archive with ``--resume``: the read-backs already taken are kept, the rest come at their
times after the programming, by the wall clock."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import labctl.characterization.retention as retention
from labctl.archive import Archive
from tests.e2e.conftest import start_mock_server, stop
from tests.labctl.cli_runner import run_cli

SCHEDULE = ["--duration", "4s", "--first", "0.5s", "--reads", "4", "--levels", "4",
            "--rows", "0:2", "--cols", "0:4"]


def test_an_interrupted_bench_run_resumes_from_its_archive(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    server = start_mock_server(tmp_path, tiles=1)
    out = tmp_path / "ret.h5"
    real = retention.follow

    def cut(schedule, elapsed, wait, read, on_read, start):  # type: ignore[no-untyped-def]
        def after_two(index, at, g):  # type: ignore[no-untyped-def]
            on_read(index, at, g)
            if index == 1:
                raise KeyboardInterrupt

        real(schedule, elapsed, wait, read, after_two, start)

    try:
        monkeypatch.setattr(retention, "follow", cut)
        code, text = run_cli("retention", "--backend", "chip", "--setup", str(server.setup),
                             *SCHEDULE, "--out", str(out))
        assert code != 0
        with Archive(out) as archive:
            before = archive.table("retention")
            assert archive.status == "interrupted" and np.unique(before["read"]).size == 2
        monkeypatch.setattr(retention, "follow", real)
        code, text = run_cli("retention", "--resume", str(out), "--backend", "chip",
                             "--setup", str(server.setup))
        assert code == 0 and "2 of 4 read-backs taken" in " ".join(text.split()), text
        code, text = run_cli("retention", "--resume", str(out), "--backend", "chip",
                             "--setup", str(server.setup))
        assert code == 2 and "nothing to resume" in text
    finally:
        stop(server)
    with Archive(out) as archive:
        table = archive.table("retention")
        assert archive.status == "complete"
    np.testing.assert_array_equal(table[: before.size], before)
    times = [table["time"][table["read"] == r][0] for r in range(4)]
    due = np.geomspace(0.5, 4.0, 4)
    assert np.all(np.array(times) >= due - 0.05) and times[-1] < 4.0 + 2.0
    s = json.loads(run_cli("inspect", str(out), "--json")[1])
    assert s["reads"] == 4 and s["cells"] == 8
