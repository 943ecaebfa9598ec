"""The TCP line server, reached through pyvisa-py as a TCPIP SOCKET resource."""

from __future__ import annotations

import socket
import threading

import pytest

from drivers.pulse import Keysight33500B
from drivers.safety import Interlock, SafetyLimits
from drivers.smu import Keithley2400, Keithley2600B
from drivers.transport import VisaTransport
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import (
    InstrumentServers,
    Keithley2400Emulator,
    Keithley2600BEmulator,
    Keysight33500BEmulator,
    serve_instruments,
)
from mock_hw.instruments.base import LineEmulator

LIMITS = SafetyLimits(smu_voltage_max=0.5, pulse_voltage_max=3.0, pulse_width_max=10e-6)


@pytest.fixture
def bench() -> SimulatedBench:
    model = DeviceModel(rows=4, cols=4, formed_at_start=True,
                        stuck_lrs_fraction=0, stuck_hrs_fraction=0)
    bench = SimulatedBench(RRAMArray(model, seed=11))
    bench.select([5])
    bench.gate[0, 1] = 1.5
    return bench


def serve(bench: SimulatedBench, smu: type[LineEmulator] = Keithley2400Emulator
          ) -> InstrumentServers:
    lock = threading.RLock()
    return serve_instruments(smu(bench, lock=lock), Keysight33500BEmulator(bench, lock=lock),
                             smu_port=0, pulse_port=0)


@pytest.mark.parametrize(("emulator", "driver"), [(Keithley2400Emulator, Keithley2400),
                                                  (Keithley2600BEmulator, Keithley2600B)])
def test_set_a_cell_and_read_it_through_pyvisa(bench, emulator, driver):
    servers = serve(bench, emulator)
    try:
        interlock = Interlock(LIMITS)
        smu = driver(VisaTransport(servers.endpoints["smu"], name="smu", timeout=5), interlock)
        pulser = Keysight33500B(VisaTransport(servers.endpoints["pulse"], name="pulse",
                                              timeout=5), interlock)
        bench.bl_route[0, 1] = Route.SMU
        smu.apply_voltage(0.1, 1e-3)
        before = smu.measure_current()
        bench.bl_route[0, 1] = Route.PULSE
        pulser.configure_pulse(2.0, 1e-6)
        pulser.fire()
        bench.bl_route[0, 1] = Route.SMU
        after = smu.measure_current()
        smu.output_off()
        pulser.output_off()
        assert before == pytest.approx(0.1 * bench.array.g_hrs[5], rel=0.2)
        assert after > 10 * before
        assert after == pytest.approx(0.1 * bench.array.conductance([5])[0], rel=0.1)
        smu.close()
        pulser.close()
    finally:
        servers.stop()


def test_endpoints_and_clean_stop(bench):
    servers = serve(bench)
    port = servers.smu.address[1]
    assert servers.endpoints["smu"] == f"TCPIP0::127.0.0.1::{port}::SOCKET"
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"*IDN?\n")
    assert client.makefile().readline().startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2400")
    servers.stop()
    assert client.recv(1) == b""  # the open connection was closed
    client.close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))  # the port is free again
