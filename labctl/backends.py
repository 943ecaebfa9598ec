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
from typing import TYPE_CHECKING, cast

from drivers.errors import ConfigError
from drivers.fpga import FpgaLink, LoopbackPort
from drivers.resilient import RetryingPulseGenerator, RetryingSourceMeter
from drivers.roles import BenchInstrument, PulseGenerator, SourceMeter
from drivers.safety import Interlock, SafetyLimits
from drivers.transport import LineTransport, LoopbackTransport, VisaTransport
from labctl.archive.provenance import Provenance
from labctl.bench import Bench, BenchClock
from labctl.device_model import ONLY_ON_THE_MOCK, Overrides, simulated_model
from labctl.instruments import Role, VisaInstrument, lookup
from labctl.run_config import check_seed
from labctl.setup import Setup, load_setup
from mock_hw.params import DeviceModel

if TYPE_CHECKING:
    from mock_hw.bench import SimulatedBench

BACKENDS = ("mock", "chip")

MOCK_TILE = (DeviceModel().rows, DeviceModel().cols)
"""Rows and columns of one simulated array."""

MOCK_LIMITS = SafetyLimits(smu_voltage_max=4.0, pulse_voltage_max=4.0, bit_line_voltage_max=4.0,
                           source_line_voltage_max=3.5, gate_voltage_max=4.0,
                           compliance_current_max=1e-3, pulse_width_min=20e-9,
                           pulse_width_max=10e-6)
"""Safety limits of the simulated bench: those of data/setups/mock-server.toml."""
MOCK_SMU = "keithley2400"
MOCK_PULSE = "keysight33500b"
"""Instrument models of the simulated bench (those ``labctl mock-server`` serves by default)."""


def check_backend(backend: str, setup: Path | None, device: Overrides | None = None) -> None:
    """Raise ConfigError for an unknown backend, a chip backend without a setup file, or
    device-model overrides for anything but the simulated chip."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if device and backend != "mock":
        raise ConfigError(ONLY_ON_THE_MOCK)
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


def bench_limits(backend: str, setup: Path | None) -> SafetyLimits:
    """The safety limits the backend's bench will enforce, known before any instrument is
    opened: those of the simulated bench, or the setup's ``[safety]``."""
    check_backend(backend, setup)
    return load_setup(setup).safety if backend == "chip" else MOCK_LIMITS


def open_bench(backend: str, setup: Path | None, seed: int, *, tiles: int = 1,
               formed: bool = False, device: Overrides | None = None) -> Bench:
    """A bench on ``backend``: a simulated chip of ``tiles`` arrays (seeded, its physics the
    device model's with ``device`` overrides), or the setup's."""
    check_backend(backend, setup, device)
    if backend == "mock":
        return mock_bench(simulated_model(device or {}, tiles=tiles, formed=formed), seed)
    return chip_bench(load_setup(setup))


def mock_bench(model: DeviceModel, seed: int) -> Bench:
    """Real drivers talking in-process to emulators sharing one simulated array."""
    from mock_hw.array import RRAMArray  # compiles the array's kernels: only when a mock runs
    from mock_hw.bench import SimulatedBench

    return simulated_bench(SimulatedBench(RRAMArray(model, check_seed(seed))))


def simulated_bench(sim: SimulatedBench, limits: SafetyLimits = MOCK_LIMITS) -> Bench:
    """A bench whose instruments are emulators acting on ``sim`` (which stays inspectable),
    every driver checked by one interlock of ``limits``."""
    from mock_hw.fpga.firmware import FpgaFirmware

    lock = threading.RLock()
    interlock = Interlock(limits)

    def emulated(role: Role, name: str) -> BenchInstrument:
        model = lookup(role, name)
        emulator = model.emulator_class()(sim, lock=lock)
        return model.driver(LoopbackTransport(emulator.handle, name=role), interlock)

    array = sim.array
    return Bench(RetryingSourceMeter(cast(SourceMeter, emulated("smu", MOCK_SMU))),
                 RetryingPulseGenerator(cast(PulseGenerator,
                                             emulated("pulse_generator", MOCK_PULSE))),
                 FpgaLink(LoopbackPort(FpgaFirmware(sim).handle), interlock),
                 BenchClock(now=lambda: array.clock, sleep=array.advance), backend="mock",
                 simulation=array)


def run_provenance(setup: Path | None, sample: str | None, operator: str | None,
                   bench: Bench | None = None) -> Provenance:
    """What an archive records of the run's circumstances: who ran it on which chip, the
    setup file verbatim and, given the bench, every write-verify and forming setting it uses."""
    text = setup.read_text(encoding="utf-8") if setup is not None else ""
    chip_id = load_setup(setup).chip.id if setup is not None else "simulated"
    given = {"operator": operator} if operator else {}
    return Provenance(sample=sample or chip_id, setup_text=text,
                      parameters=bench.parameters() if bench is not None else {}, **given)


def _visa(name: str, inst: VisaInstrument) -> LineTransport:
    return VisaTransport(inst.resource, name=name, timeout=inst.timeout,
                         read_termination=inst.read_termination,
                         write_termination=inst.write_termination,
                         visa_library=inst.visa_library)


def chip_bench(setup: Setup) -> Bench:
    """The setup's instruments over VISA and the serial link, checked against its limits.

    If one instrument cannot be opened, those already open are left safe and closed.
    """
    interlock = Interlock(setup.safety)
    with ExitStack() as opened:
        smu = RetryingSourceMeter(cast(SourceMeter, lookup("smu", setup.smu.model).open(
            _visa("smu", setup.smu), interlock, setup.smu)))
        opened.callback(_shut, smu)
        section = setup.pulse_generator
        pulse = RetryingPulseGenerator(cast(PulseGenerator, lookup(
            "pulse_generator", section.model).open(_visa("pulse", section), interlock, section)))
        opened.callback(_shut, pulse)
        fpga = FpgaLink.from_url(setup.fpga.url, interlock, baudrate=setup.fpga.baudrate,
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
