"""The bench facade: one backend's instruments composed for the lab's procedures.

Whatever happens inside a ``with Bench(...)`` block, the bench is left safe on the way out:
SMU and pulse-generator outputs off, every line grounded and every gate off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from drivers.errors import LabError
from drivers.fpga.client import FpgaLink
from drivers.fpga.writeverify import CellResults, WriteVerifyParams
from drivers.resilient import RetryingPulseGenerator, RetryingSourceMeter
from labctl.archive.provenance import parameter_table
from protocols.addressing import connect_row, disconnect_row
from protocols.calibration import (
    GateCalibration,
    ResetResponse,
    calibrate_gate,
    measure_reset_response,
    sample_cells,
)
from protocols.disturb import DisturbParams, stress_cells
from protocols.endurance import Checkpoint, EnduranceParams, cycle_cells
from protocols.forming import FormingParams, form_cells
from protocols.iv import IVParams, IVSweep, sweep_cells
from protocols.write_verify import write_verify_host

log = logging.getLogger(__name__)

READ_GATE = 2.5
"""Gate voltage for an SMU read: transistor fully on, so the cell alone sets the current."""


class Simulation(Protocol):
    """The simulated chip behind a mock bench: its full state, for exact checkpoints."""

    def state(self) -> dict[str, NDArray[Any]]:
        """Every array and generator state the simulation's future depends on."""
        ...

    def load_state(self, state: Mapping[str, NDArray[Any]]) -> None:
        """Continue exactly where :meth:`state` was taken."""
        ...


@dataclass
class BenchClock:
    """Bench time: the simulated clock on the mock backend, the wall clock on a real bench."""

    now: Callable[[], float]
    sleep: Callable[[float], None]


@dataclass
class Bench:
    """SMU, pulse generator and FPGA board of one backend, with the lab's procedures on top."""

    smu: RetryingSourceMeter
    pulse: RetryingPulseGenerator
    fpga: FpgaLink
    clock_source: BenchClock
    backend: str
    params: WriteVerifyParams = field(default_factory=WriteVerifyParams)
    forming: FormingParams = field(default_factory=FormingParams)
    read_compliance: float = 1e-3
    simulation: Simulation | None = None
    """The simulated chip on the mock backend (None on a real bench)."""

    def __post_init__(self) -> None:
        info = self.fpga.identify()
        self.geometry = (info.tiles, info.rows, info.cols)
        self.fpga.safe_state()

    def parameters(self) -> dict[str, dict[str, tuple[Any, str]]]:
        """Every write-verify and forming setting as (value, unit), for the archive."""
        return {"write_verify": parameter_table(self.params),
                "forming": parameter_table(self.forming)}

    @property
    def identities(self) -> dict[str, str]:
        """Identity of every instrument, for the archive."""
        return {"smu": self.smu.identity, "pulse_generator": self.pulse.identity,
                "fpga": _describe(self.fpga)}

    # ---------------------------------------------------------------- procedures
    def form(self, cells: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Form the pristine cells among ``cells``; returns which are formed."""
        _, rows, cols = self.geometry
        return form_cells(self.fpga, self.pulse, cells, rows, cols, self.forming)

    def sweep_iv(self, cells: NDArray[np.int64], params: IVParams,
                 on_sweep: Callable[[IVSweep], None]) -> None:
        """Quasi-static I-V branches of each of ``cells`` through the SMU (see protocols.iv)."""
        _, rows, cols = self.geometry
        sweep_cells(self.fpga, self.smu, cells, rows, cols, params, on_sweep)

    def cycle(self, cells: NDArray[np.int64], params: EnduranceParams,
              on_checkpoint: Callable[[Checkpoint], None]) -> None:
        """SET/RESET cycling of ``cells`` in pulse-generator bursts (see protocols.endurance);
        raises before any pulse if the cycling is beyond the setup's limits."""
        _, rows, cols = self.geometry
        cycle_cells(self.fpga, self.pulse, cells, rows, cols, params, on_checkpoint)

    def stress(self, cells: NDArray[np.int64], params: DisturbParams,
               read_back: Callable[[], NDArray[np.float64]],
               on_point: Callable[[int, float, NDArray[np.float64]], None]) -> None:
        """Read-disturb stress of ``cells`` by reads or an SMU bias, with ``read_back`` before
        it and after every block (see protocols.disturb)."""
        _, rows, cols = self.geometry
        stress_cells(self.fpga, self.smu, cells, rows, cols, params, read_back, on_point)

    def calibrate_gate(self, cells: NDArray[np.int64]) -> GateCalibration:
        """Median SET conductance against gate voltage, on a sample of ``cells``."""
        _, rows, cols = self.geometry
        sample = sample_cells(np.asarray(cells, dtype=np.int64), cols)
        return calibrate_gate(self.fpga, self.pulse, sample, rows, cols, self.params)

    def reset_response(self, cells: NDArray[np.int64], set_gate: float) -> ResetResponse:
        """One RESET pulse at each gate of a sweep from a SET at ``set_gate`` (V), on
        ``cells`` of one word line (a gate calibration's sample)."""
        _, rows, cols = self.geometry
        return measure_reset_response(self.fpga, self.pulse, cells, rows, cols, self.params,
                                      set_gate)

    def program(self, cells: NDArray[np.int64], lo: NDArray[np.float64], hi: NDArray[np.float64],
                *, mode: Literal["fpga", "host"], calibration: GateCalibration | None = None,
                on_result: Callable[[CellResults], None] | None = None) -> CellResults:
        """Write-verify each cell into its band [lo, hi] (S), offloaded or pulse by pulse;
        a gate ``calibration`` gives each cell its own SET gate start. Pulse by pulse,
        ``on_result`` gets each cell's record once it is final."""
        gate_start = (None if calibration is None
                      else calibration.start_gate(lo, hi, self.params.scheme))
        if mode == "fpga":
            return self.fpga.write_verify(cells, lo, hi, self.params, gate_start=gate_start)
        self.fpga.interlock.check_batch("write-verify", self.params.reaches(gate_start),
                                        self.params.widths())
        try:
            return write_verify_host(cells, lo, hi, self.params, _HostOps(self), gate_start,
                                     on_result)
        finally:
            self.smu.output_off()
            self.fpga.safe_state()

    def read(self, cells: NDArray[np.int64]) -> NDArray[np.float64]:
        """Conductance of ``cells`` through the board ADC (S)."""
        return self.fpga.read_cells(cells, self.params.v_read) / self.params.v_read

    def read_array(self, tile: int) -> NDArray[np.float64]:
        """Conductance map of one tile (S), rows x cols."""
        return self.fpga.read_array(tile, self.params.v_read) / self.params.v_read

    def mvm(self, tile: int, v_rows: NDArray[np.float64],
            pairs: NDArray[np.int64] | None = None) -> NDArray[np.float64]:
        """Crossbar products of row voltages ``v_rows`` (batch, rows) with ``tile``: column
        currents (A), or differences of column ``pairs`` (P, 2) as the FPGA subtracts them."""
        return self.fpga.mvm(tile, self.fpga.dac_codes(v_rows), pairs)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of bench time pass."""
        if seconds > 0:
            self.clock_source.sleep(seconds)

    def clock(self) -> float:
        """Bench time so far (s)."""
        return self.clock_source.now()

    def link_stats(self) -> dict[str, int]:
        """Host round trips, link retries and instrument errors ridden out, for the archive."""
        return {"round_trips": self.fpga.round_trips, "link_retries": self.fpga.retries,
                "instrument_errors_tolerated": self.smu.tolerated + self.pulse.tolerated}

    # ---------------------------------------------------------------- safety
    def make_safe(self) -> None:
        """Outputs off, lines grounded, gates off; tries every step even if one fails."""
        failures: list[LabError] = []
        for step in (self.smu.output_off, self.pulse.output_off, self.fpga.safe_state):
            try:
                step()
            except LabError as err:
                failures.append(err)
                log.error("safe state: %s", err)
        if failures:
            raise failures[0]

    def close(self) -> None:
        """Leave the bench safe, then release every connection."""
        try:
            self.make_safe()
        finally:
            for inst in (self.smu, self.pulse, self.fpga):
                inst.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _HostOps:
    """Host-driven write-verify steps through the external instruments, one cell at a time."""

    def __init__(self, bench: Bench) -> None:
        self.b = bench
        _, self.rows, self.cols = bench.geometry
        self._smu_volts: float | None = None
        self._pulse_shape: tuple[float, float] | None = None

    def _lines(self, cell: int) -> tuple[int, NDArray[np.int64], NDArray[np.int64]]:
        tile, rest = divmod(cell, self.rows * self.cols)
        row, col = divmod(rest, self.cols)
        return tile, np.array([row]), np.array([col])

    def read(self, cell: int, v_read: float, reads: int) -> float:
        tile, row, col = self._lines(cell)
        fpga = self.b.fpga
        fpga.select([cell])
        fpga.route(tile, bit_lines=col, source_lines=[], to="smu")
        fpga.route(tile, bit_lines=[], source_lines=row, to="ground")
        fpga.set_gate(tile, row, [READ_GATE])
        if self._smu_volts != v_read:
            self.b.smu.apply_voltage(v_read, self.b.read_compliance)
            self._smu_volts = v_read
        current = np.mean([self.b.smu.measure_current() for _ in range(reads)])
        return float(current) / v_read

    def _pulse(self, cell: int, volts: float, v_gate: float, width: float, reset: bool) -> None:
        tile, row, col = self._lines(cell)
        if self._pulse_shape != (volts, width):
            self.b.pulse.configure_pulse(volts, width)
            self._pulse_shape = (volts, width)
        connect_row(self.b.fpga, tile, int(row[0]), col, v_gate, reset=reset)
        self.b.pulse.fire()
        disconnect_row(self.b.fpga, tile, int(row[0]))

    def set_pulse(self, cell: int, v_bl: float, v_gate: float, width: float) -> None:
        self._pulse(cell, v_bl, v_gate, width, reset=False)

    def reset_pulse(self, cell: int, v_sl: float, v_gate: float, width: float) -> None:
        self._pulse(cell, v_sl, v_gate, width, reset=True)

    def wait(self, seconds: float) -> None:
        self.b.wait(seconds)

    def clock(self) -> float:
        return self.b.clock()


def _describe(fpga: FpgaLink) -> str:
    i = fpga.identity
    return (f"{i.name}, firmware {'.'.join(map(str, i.firmware))}, protocol {i.protocol_version}, "
            f"{i.tiles}x{i.rows}x{i.cols} cells, ADC {i.adc_bits} bit, DAC {i.dac_bits} bit")
