"""``labctl mock-server``: the emulated bench on real endpoints, for ``--backend chip``."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from drivers.errors import ConfigError
from labctl.cli.app import app, console
from labctl.cli.options import Device, DeviceModelName
from labctl.instruments import lookup, models


@app.command("mock-server")
def mock_server(
    smu_port: Annotated[int, typer.Option(help="TCP port of the SMU (VISA SOCKET).")] = 5025,
    pulse_port: Annotated[int, typer.Option(help="TCP port of the pulse generator.")] = 5026,
    fpga_port: Annotated[int, typer.Option(help="TCP port of the FPGA (socket:// URL).")] = 5027,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    smu_model: Annotated[str, typer.Option(
        help=f"SMU model: {' or '.join(models('smu'))}.")] = "keithley2400",
    pulse_model: Annotated[str, typer.Option(
        help=f"Pulse-generator model: {' or '.join(models('pulse_generator'))}.")
    ] = "keysight33500b",
    seed: Annotated[int, typer.Option(help="Seed of the simulated chip.")] = 0,
    tiles: Annotated[int, typer.Option(
        help="Number of 128 x 128 arrays on the board (the lab's chip has one).")] = 1,
    formed: Annotated[bool, typer.Option(help="Start with every healthy cell formed.")] = False,
    device_model: DeviceModelName = None,
    device: Device = None,
    drop: Annotated[float, typer.Option(help="Probability of dropping an FPGA frame.")] = 0.0,
    corrupt: Annotated[float, typer.Option(help="Probability of corrupting a frame.")] = 0.0,
    late: Annotated[float, typer.Option(help="Probability of delaying an FPGA reply.")] = 0.0,
    delay: Annotated[float, typer.Option(help="Delay of a late FPGA reply (s).")] = 0.05,
    reply_delay: Annotated[float, typer.Option(help="Delay of every SCPI reply (s).")] = 0.0,
    error_every: Annotated[int, typer.Option(
        help="Push an instrument error every N SCPI lines (0: never).")] = 0,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault injection.")] = 0,
) -> None:
    """Serve the simulated chip's SMU, pulse generator and FPGA board on loopback ports."""
    from labctl.device_model import device_overrides, simulated_model
    from labctl.run_config import check_seed
    from mock_hw import RRAMArray, SimulatedBench
    from mock_hw.fpga.faults import FaultInjection
    from mock_hw.fpga.firmware import FpgaFirmware
    from mock_hw.fpga.server import FpgaServer
    from mock_hw.instruments.faults import InstrumentFaults
    from mock_hw.instruments.server import serve_instruments

    seed, fault_seed = check_seed(seed), check_seed(fault_seed, "--fault-seed")
    smu_emulator, pulse_emulator = (lookup("smu", smu_model).emulator_class(),
                                    lookup("pulse_generator", pulse_model).emulator_class())
    model = simulated_model(device_overrides(device_model, device), tiles=tiles, formed=formed)
    sim = SimulatedBench(RRAMArray(model, seed))
    lock = threading.RLock()
    link_faults = FaultInjection(drop_request=drop / 2, drop_reply=drop / 2,
                                 corrupt_request=corrupt / 2, corrupt_reply=corrupt / 2,
                                 delay_reply=late, delay=delay, seed=fault_seed)
    instrument_faults = InstrumentFaults(reply_delay=reply_delay, error_every=error_every)
    try:
        instruments = serve_instruments(
            smu_emulator(sim, faults=instrument_faults, lock=lock),
            pulse_emulator(sim, faults=instrument_faults, lock=lock),
            host=host, smu_port=smu_port, pulse_port=pulse_port)
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{smu_port}/{pulse_port} ({err}); "
                          "choose free ports with --smu-port/--pulse-port") from None
    fpga = FpgaServer(FpgaFirmware(sim), host=host, port=fpga_port, faults=link_faults,
                      lock=lock)
    try:
        fpga.start()
    except OSError as err:
        instruments.stop()
        raise ConfigError(f"cannot listen on {host}:{fpga_port} ({err}); "
                          "choose a free port with --fpga-port") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    endpoints = instruments.endpoints
    typer.echo(f"smu   {smu_model:<15} {endpoints['smu']}")
    typer.echo(f"pulse {pulse_model:<15} {endpoints['pulse']}")
    typer.echo(f"fpga  {tiles} x 128 x 128    {fpga.endpoint}")
    typer.echo("ready")
    console.print("serving the simulated bench; Ctrl-C stops", style="dim")
    try:
        stop.wait()
    finally:
        fpga.stop()
        instruments.stop()
