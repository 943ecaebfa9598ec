"""The backend factory: the one place that turns ``--backend`` into a bench of instruments.

``mock`` wires the real drivers to in-process transports whose far ends are the emulated
instruments of ``mock_hw`` on one simulated array; ``chip`` opens the VISA resources and the
serial link a setup file names (real instruments, or ``labctl mock-server``). Protocols and
drivers run the same code either way.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from pathlib import Path

from drivers.errors import ConfigError
from drivers.fpga import FpgaLink, LoopbackPort
from drivers.pulse.keysight33500b import Keysight33500B
from drivers.resilient import RetryingPulseGenerator, RetryingSourceMeter
from drivers.roles import BenchInstrument, SourceMeter
from drivers.safety import SafetyLimits
from drivers.smu.keithley2400 import Keithley2400
from drivers.smu.keithley2600b import Keithley2600B
from drivers.transport import LineTransport, LoopbackTransport, VisaTransport
from labctl.bench import Bench, BenchClock
from labctl.setup import Setup, load_setup
from mock_hw import DeviceModel, RRAMArray, SimulatedBench
from mock_hw.fpga.firmware import FpgaFirmware
from mock_hw.instruments.keithley2400 import Keithley2400Emulator
from mock_hw.instruments.keysight33500b import Keysight33500BEmulator

BACKENDS = ("mock", "chip")

MOCK_TILE = (DeviceModel().rows, DeviceModel().cols)
"""Rows and columns of one simulated array."""

MOCK_LIMITS = SafetyLimits(smu_voltage_max=0.5, pulse_voltage_max=4.0, bit_line_voltage_max=4.0,
                           source_line_voltage_max=3.5, gate_voltage_max=4.0,
                           compliance_current_max=1e-3, pulse_width_min=20e-9,
                           pulse_width_max=10e-6)
"""Safety limits of the simulated bench: those of data/setups/mock-server.toml."""


def check_backend(backend: str, setup: Path | None) -> None:
    """Raise ConfigError for an unknown backend or a chip backend without a setup file."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend == "chip" and setup is None:
        raise ConfigError("--backend chip needs --setup FILE naming the bench's instruments "
                          "(e.g. data/setups/mock-server.toml for labctl mock-server)")


def chip_geometry(backend: str, setup: Path | None) -> tuple[int, int, int]:
    """(tiles, rows, cols) of the backend's chip, known before any instrument is opened."""
    check_backend(backend, setup)
    if backend == "chip":
        chip = load_setup(setup).chip
        return (chip.tiles, chip.rows, chip.cols)
    m = DeviceModel()
    return (m.tiles, m.rows, m.cols)


def open_bench(backend: str, setup: Path | None, seed: int, *, tiles: int = 1,
               formed: bool = False) -> Bench:
    """A bench on ``backend``: a simulated chip of ``tiles`` arrays (seeded), or the setup's."""
    check_backend(backend, setup)
    if backend == "mock":
        return mock_bench(DeviceModel(tiles=tiles, formed_at_start=formed), seed)
    return chip_bench(load_setup(setup))


def mock_bench(model: DeviceModel, seed: int) -> Bench:
    """Real drivers talking in-process to emulators sharing one simulated array."""
    return simulated_bench(SimulatedBench(RRAMArray(model, seed)))


def simulated_bench(sim: SimulatedBench) -> Bench:
    """A bench whose instruments are emulators acting on ``sim`` (which stays inspectable)."""
    lock = threading.RLock()
    smu = RetryingSourceMeter(Keithley2400(
        LoopbackTransport(Keithley2400Emulator(sim, lock=lock).handle, name="smu"), MOCK_LIMITS))
    pulse = RetryingPulseGenerator(Keysight33500B(
        LoopbackTransport(Keysight33500BEmulator(sim, lock=lock).handle, name="pulse"),
        MOCK_LIMITS))
    fpga = FpgaLink(LoopbackPort(FpgaFirmware(sim).handle))
    array = sim.array
    return Bench(smu, pulse, fpga, BenchClock(now=lambda: array.clock, sleep=array.advance),
                 backend="mock")


def _visa(name: str, inst: object) -> LineTransport:
    return VisaTransport(inst.resource, name=name, timeout=inst.timeout,
                         read_termination=inst.read_termination,
                         write_termination=inst.write_termination,
                         visa_library=inst.visa_library)


def chip_bench(setup: Setup) -> Bench:
    """The setup's instruments over VISA and the serial link, checked against its limits.

    If one instrument cannot be opened, those already open are left safe and closed.
    """
    limits = setup.safety
    with ExitStack() as opened:
        smu_driver: SourceMeter
        if setup.smu.model == "keithley2400":
            smu_driver = Keithley2400(_visa("smu", setup.smu), limits)
        else:
            smu_driver = Keithley2600B(_visa("smu", setup.smu), limits,
                                       channel=setup.smu.channel)
        smu = RetryingSourceMeter(smu_driver)
        opened.callback(_shut, smu)
        pulse = RetryingPulseGenerator(Keysight33500B(
            _visa("pulse", setup.pulse_generator), limits, channel=setup.pulse_generator.channel))
        opened.callback(_shut, pulse)
        fpga = FpgaLink.from_url(setup.fpga.url, baudrate=setup.fpga.baudrate,
                                 timeout=setup.fpga.timeout,
                                 long_timeout=setup.fpga.long_timeout,
                                 retries=setup.fpga.retries)
        opened.callback(fpga.close)
        start = time.monotonic()
        bench = Bench(smu, pulse, fpga, BenchClock(now=lambda: time.monotonic() - start,
                                                   sleep=time.sleep), backend="chip",
                      params=setup.programming)
        opened.pop_all()
    return bench


def _shut(instrument: BenchInstrument) -> None:
    try:
        instrument.output_off()
    finally:
        instrument.close()
