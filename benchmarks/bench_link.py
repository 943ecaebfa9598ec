"""Link round trips: how many instrument queries per second each transport sustains.

Run ``python benchmarks/bench_link.py``. Each measurement is one function returning its
figure, so other links (the FPGA's) add their own functions next to these.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from drivers.safety import SafetyLimits
from drivers.smu import Keithley2400
from drivers.transport import LineTransport, LoopbackTransport, VisaTransport
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.instruments import Keithley2400Emulator, serve_instruments

LIMITS = SafetyLimits()


def _bench() -> SimulatedBench:
    bench = SimulatedBench(RRAMArray(DeviceModel(formed_at_start=True), seed=0))
    bench.select([0])
    bench.gate[0, 0] = 1.5
    bench.bl_route[0, 0] = Route.SMU
    return bench


def _rate(action: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls of ``action`` per second, over about ``seconds`` of wall time."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        action()
        count += 1
    return count / elapsed


def _smu_queries(transport: LineTransport) -> tuple[float, float]:
    smu = Keithley2400(transport, LIMITS)
    smu.apply_voltage(0.1, 1e-4)
    idn = _rate(lambda: smu.identity)
    read = _rate(smu.measure_current)
    smu.output_off()
    return idn, read


def smu_in_process() -> tuple[float, float]:
    """SMU ``*IDN?`` and ``:READ?`` round trips per second through the loopback transport."""
    return _smu_queries(LoopbackTransport(Keithley2400Emulator(_bench()).handle))


def smu_over_tcp() -> tuple[float, float]:
    """The same through ``mock_hw`` TCP server and pyvisa-py on loopback."""
    servers = serve_instruments(_bench(), smu_port=0, pulse_port=0)
    try:
        transport = VisaTransport(servers.endpoints["smu"], name="smu", timeout=5)
        try:
            return _smu_queries(transport)
        finally:
            transport.close()
    finally:
        servers.stop()


def main() -> None:
    for label, measure in (("in-process", smu_in_process), ("TCP + pyvisa-py", smu_over_tcp)):
        idn, read = measure()
        print(f"SMU {label:16s} *IDN? {idn:9.0f} round trips/s   :READ? {read:9.0f} /s")


if __name__ == "__main__":
    main()
