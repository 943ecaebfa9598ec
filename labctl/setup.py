"""Bench setup files (TOML): which instruments, where they are, and what the chip tolerates."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pyvisa import rname

from drivers.errors import ConfigError
from drivers.fpga.writeverify import WriteVerifyParams
from drivers.pulse.keysight33500b import Keysight33500B
from drivers.safety import SafetyLimits
from drivers.smu.keithley2400 import Keithley2400
from drivers.smu.keithley2600b import Keithley2600B

SMU_DRIVERS = {"keithley2400": Keithley2400, "keithley2600b": Keithley2600B}
PULSE_DRIVERS = {"keysight33500b": Keysight33500B}
SMU_MODELS = tuple(SMU_DRIVERS)
PULSE_MODELS = tuple(PULSE_DRIVERS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VisaInstrument(_Strict):
    """One VISA instrument: driver model, resource string, timeout and terminations."""

    model: str
    resource: str = Field(description="VISA resource, e.g. TCPIP0::192.168.1.20::5025::SOCKET")
    timeout: float = Field(5.0, gt=0, le=600, description="I/O timeout (s).")
    visa_library: str = Field("@py", description="'@py' for pyvisa-py, or a VISA library path.")
    read_termination: str = "\n"
    write_termination: str = "\n"

    @field_validator("resource")
    @classmethod
    def _resource(cls, value: str) -> str:
        try:
            rname.parse_resource_name(value)
        except rname.InvalidResourceName as err:
            raise ValueError(f"malformed VISA resource string {value!r} ({err}); "
                             "e.g. TCPIP0::192.168.1.20::5025::SOCKET or GPIB0::24::INSTR"
                             ) from None
        return value


class SmuSetup(VisaInstrument):
    model: Literal["keithley2400", "keithley2600b"]
    channel: Literal["a", "b"] = Field("a", description="SMU channel of a 2600B (smua/smub).")


class PulseSetup(VisaInstrument):
    model: Literal["keysight33500b"]
    channel: Literal[1, 2] = Field(1, description="Output channel of the generator.")


class FpgaSetup(_Strict):
    """The FPGA board's serial link."""

    url: str = Field(description="pyserial port or URL: /dev/ttyUSB0, COM3, socket://host:port")
    baudrate: int = Field(921_600, gt=0, le=20_000_000, description="Serial baud rate.")
    timeout: float = Field(2.0, gt=0, le=600, description="Reply timeout of quick commands (s).")
    long_timeout: float = Field(
        120.0, gt=0, le=3600, description="Reply timeout of reads, MVMs and write-verify (s).")
    retries: int = Field(5, ge=0, le=50, description="Retries on timeout, NAK or CRC error.")


class ChipSetup(_Strict):
    """Geometry of the chip(s) on the bench; tiles are numbered as the FPGA numbers them."""

    tiles: int = Field(1, ge=1, le=1024)
    rows: int = Field(128, ge=1, le=4096)
    cols: int = Field(128, ge=1, le=4096)


class Setup(_Strict):
    """A whole bench."""

    name: str = "bench"
    chip: ChipSetup = ChipSetup()
    smu: SmuSetup
    pulse_generator: PulseSetup
    fpga: FpgaSetup
    safety: SafetyLimits = SafetyLimits()
    programming: WriteVerifyParams = Field(
        default_factory=WriteVerifyParams,
        description="Write-verify voltages (start, step, max), widths, budget; see SPEC.md.")


def load_setup(path: str | Path) -> Setup:
    """Read and validate a setup file; any problem becomes one ConfigError line."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"setup file {path} not found; pass --setup with an existing file "
                          "(examples in data/setups/)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"setup file {path} is not valid TOML: {err}") from None
    try:
        setup = Setup.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"setup file {path}: [{where}] {message}{_hint(first)}") from None
    check_capabilities(setup, path)
    return setup


def check_capabilities(setup: Setup, path: Path) -> None:
    """Refuse safety limits the instruments themselves cannot honour (from their drivers)."""
    smu = SMU_DRIVERS[setup.smu.model]
    pulse = PULSE_DRIVERS[setup.pulse_generator.model]
    s = setup.safety
    checks = (
        ("smu", setup.smu.model, "smu_voltage_max", s.smu_voltage_max,
         smu.source_voltage.validator.high),
        ("smu", setup.smu.model, "compliance_current_max", s.compliance_current_max,
         smu.compliance_current.validator.high),
        ("pulse_generator", setup.pulse_generator.model, "pulse_voltage_max",
         s.pulse_voltage_max, pulse.high_level.validator.high),
        ("pulse_generator", setup.pulse_generator.model, "pulse_width_max", s.pulse_width_max,
         pulse.pulse_width.validator.high),
    )
    for role, model, name, limit, most in checks:
        if limit > most:
            raise ConfigError(f"setup file {path}: safety.{name} = {limit:g} is beyond what the "
                              f"{role} ({model}) can do ({most:g}); lower it")
    shortest = pulse.pulse_width.validator.low
    if s.pulse_width_min < shortest:
        raise ConfigError(f"setup file {path}: safety.pulse_width_min = {s.pulse_width_min:g} s "
                          f"is shorter than the {setup.pulse_generator.model} can make "
                          f"({shortest:g} s); raise it")


def _hint(error: dict) -> str:
    loc = error["loc"]
    if loc and loc[-1] == "model" and loc[0] == "smu":
        return f" (known SMU models: {', '.join(SMU_MODELS)})"
    if loc and loc[-1] == "model" and loc[0] == "pulse_generator":
        return f" (known pulse generators: {', '.join(PULSE_MODELS)})"
    return ""
