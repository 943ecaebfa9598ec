"""The firmware over TCP, reached with pyserial's socket:// URL as a real client would."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from drivers.fpga import FpgaLink, WriteVerifyParams
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga import FaultInjection, FpgaFirmware, FpgaServer
from tests.interlock import lax

MODEL = DeviceModel(rows=16, cols=16, formed_at_start=True, stuck_lrs_fraction=0,
                    stuck_hrs_fraction=0)


def _firmware() -> FpgaFirmware:
    return FpgaFirmware(SimulatedBench(RRAMArray(MODEL, seed=5)))


def test_client_over_socket_url() -> None:
    fw = _firmware()
    with FpgaServer(fw, port=0) as server:
        assert server.endpoint.startswith("socket://127.0.0.1:") and server.port > 0
        with FpgaLink.from_url(server.endpoint, lax(), timeout=2.0) as link:
            assert link.identify().rows == 16
            link.select([4, 9])
            results = link.write_verify(np.arange(16), 50e-6, 54e-6, WriteVerifyParams())
            currents = link.read_cells(np.arange(16), 0.2)
    assert np.flatnonzero(fw.bench.selected).tolist() == [4, 9]
    assert results["success"].mean() > 0.9
    ok = results["success"] == 1
    assert currents[ok] / 0.2 == pytest.approx(results["g_final"][ok], abs=3e-6)


def test_recovers_from_faults_over_tcp() -> None:
    fw = _firmware()
    faults = FaultInjection(corrupt_request=0.2, corrupt_reply=0.2, drop_reply=0.1, seed=9)
    with FpgaServer(fw, port=0, faults=faults) as server, FpgaLink.from_url(
            server.endpoint, lax(), timeout=0.2, retries=10) as link:
        link.identify()
        results = np.concatenate([link.write_verify(np.arange(b * 8, b * 8 + 8), 40e-6, 44e-6,
                                                    WriteVerifyParams()) for b in range(8)])
        assert link.retries > 0
    assert fw.array.writes.sum() == results["pulses"].sum()


def test_stop_closes_connections_and_frees_the_port() -> None:
    server = FpgaServer(_firmware(), port=0)
    server.start()
    port = server.port
    link = FpgaLink.from_url(server.endpoint, lax(), timeout=1.0)
    link.identify()
    server.stop()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    link.close()
