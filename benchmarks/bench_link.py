"""Link round trips: how many instrument queries per second each transport sustains.

Run ``python benchmarks/bench_link.py``. Each measurement is one function returning its
figure, so other links (the FPGA's) add their own functions next to these.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from drivers.fpga import FpgaLink, LoopbackPort, WriteVerifyParams
from drivers.safety import Interlock, SafetyLimits
from drivers.smu import Keithley2400
from drivers.transport import LineTransport, LoopbackTransport, VisaTransport
from mock_hw import DeviceModel, Route, RRAMArray, SimulatedBench
from mock_hw.fpga import FpgaFirmware, FpgaServer
from mock_hw.instruments import (
    Keithley2400Emulator,
    Keysight33500BEmulator,
    serve_instruments,
)

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
    smu = Keithley2400(transport, Interlock(LIMITS))
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
    bench = _bench()
    servers = serve_instruments(Keithley2400Emulator(bench), Keysight33500BEmulator(bench),
                                smu_port=0, pulse_port=0)
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


def _fpga_frames(link: FpgaLink) -> float:
    link.identify()
    return _rate(lambda: link.select([0]))


def fpga_in_process() -> float:
    """FPGA frame round trips (SELECT of one cell) per second over the loopback port."""
    return _fpga_frames(FpgaLink(LoopbackPort(FpgaFirmware(_bench()).handle), Interlock(LIMITS)))


def fpga_over_tcp() -> float:
    """The same through the FPGA TCP server and pyserial's socket:// URL."""
    with FpgaServer(FpgaFirmware(_bench()), port=0) as server, FpgaLink.from_url(
            server.endpoint, Interlock(LIMITS)) as link:
        return _fpga_frames(link)


def _mvm_rate(link: FpgaLink) -> float:
    codes = np.random.default_rng(0).integers(0, 128, size=(100, 128))
    link.identify()
    return _rate(lambda: link.mvm(0, codes))


def fpga_mvm_throughput() -> tuple[float, float]:
    """128 x 128 MVM batches of 100 vectors per second: in-process and over TCP."""
    in_process = _mvm_rate(FpgaLink(LoopbackPort(FpgaFirmware(_bench()).handle), Interlock(LIMITS)))
    with FpgaServer(FpgaFirmware(_bench()), port=0) as server, FpgaLink.from_url(
            server.endpoint, Interlock(LIMITS)) as link:
        return in_process, _mvm_rate(link)


def fpga_write_verify_array(calibrated: bool) -> dict[str, float]:
    """Whole-array (16,384 cells) FPGA write-verify to 8 levels over 10-120 uS, +-2 uS.

    ``calibrated`` gives each cell the SET gate start a nominal G(V_G) calibration predicts
    (I_CC = 80 uA/V^1.5 (V_G - 0.55 V)^1.5, G = I_CC / 0.4 V), 50 mV low.
    """
    array = RRAMArray(DeviceModel(formed_at_start=True), seed=0)
    link = FpgaLink(LoopbackPort(FpgaFirmware(SimulatedBench(array)).handle), Interlock(LIMITS))
    levels = np.linspace(10e-6, 120e-6, 8)
    target = levels[np.random.default_rng(0).integers(0, 8, array.n_cells)]
    gate = 0.55 + (target * 0.4 / 80e-6) ** (1 / 1.5) - 0.05 if calibrated else None
    link.identify()
    start = time.perf_counter()
    res = link.write_verify(np.arange(array.n_cells), target - 2e-6, target + 2e-6,
                            WriteVerifyParams(), gate_start=gate)
    return {"wall_s": time.perf_counter() - start, "success": float(res["success"].mean()),
            "pulses_mean": float(res["pulses"].mean()),
            "pulses_p95": float(np.percentile(res["pulses"], 95)),
            "bench_s": link.last_batch_time, "round_trips": link.round_trips - 1}


def fpga_main() -> None:
    print(f"FPGA in-process        SELECT {fpga_in_process():9.0f} round trips/s")
    print(f"FPGA TCP + pyserial    SELECT {fpga_over_tcp():9.0f} round trips/s")
    local, tcp = fpga_mvm_throughput()
    print(f"FPGA MVM 128x128 batch 100: in-process {local:7.1f} batches/s "
          f"({100 * local:9.0f} vectors/s), TCP {tcp:7.1f} batches/s ({100 * tcp:9.0f} vectors/s)")
    for calibrated in (False, True):
        r = fpga_write_verify_array(calibrated)
        print(f"FPGA write-verify 16384 cells, 8 levels, gate start "
              f"{'calibrated' if calibrated else 'default   '}: {r['wall_s']:.2f} s wall, "
              f"{r['round_trips']} round trips, success {100 * r['success']:.2f} %, pulses "
              f"mean {r['pulses_mean']:.1f} p95 {r['pulses_p95']:.0f}, "
              f"bench {r['bench_s']:.2f} s")


if __name__ == "__main__":
    main()
    fpga_main()
