"""The sweep's local Dask cluster keeps to itself (no dashboard, no port another one holds)
and gives its runs the process a plain `labctl train` would have."""

from __future__ import annotations

import contextlib
import os
import socket
import warnings

from labctl.sweep.runner import dask_client


def test_a_local_cluster_leaves_the_dashboard_port_alone() -> None:
    with socket.socket() as taken:  # as another sweep's cluster, or a notebook's, holds it
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # taken already by something else: all the same
            taken.bind(("0.0.0.0", 8787))
        taken.listen()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with dask_client(1, None) as client:
                assert client.submit(sum, [1, 2]).result() == 3


def _trim_threshold() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_keep_mallocs_adaptive_mmap_threshold() -> None:
    with dask_client(1, None) as client:
        assert client.submit(_trim_threshold, pure=False).result() is None
