"""Bench setup files (TOML): which instruments, where they are, and what the chip tolerates."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drivers.errors import ConfigError
from drivers.fpga.writeverify import WriteVerifyParams
from drivers.safety import LABELS, SafetyLimits
from labctl.instruments import PulseSection, SmuSection, lookup, models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    id: str = Field("", max_length=200, description="Chip or sample id, recorded in archives.")
    tiles: int = Field(1, ge=1, le=1024)
    rows: int = Field(128, ge=1, le=4096)
    cols: int = Field(128, ge=1, le=4096)


class TwinSetup(_Strict):
    """The digital twin: the simulated array that holds the layers the chip does not."""

    device_model: str = Field(
        "typical", description="A device-model preset, or a device-model file (labctl "
        "calibrate's; a relative path is relative to the setup file).")


class Setup(_Strict):
    """A whole bench."""

    name: str = "bench"
    chip: ChipSetup = ChipSetup()
    smu: SmuSection
    pulse_generator: PulseSection
    fpga: FpgaSetup
    safety: SafetyLimits = SafetyLimits()
    twin: TwinSetup = TwinSetup()
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
        raise ConfigError(f"setup file {path}: {_first_error(err)}") from None
    check_capabilities(setup, path)
    check_programming(setup, path)
    return setup


def check_capabilities(setup: Setup, path: Path) -> None:
    """Refuse safety limits the configured instrument models cannot honour (their drivers'
    declared ranges)."""
    smu = lookup("smu", setup.smu.model)
    pulse = lookup("pulse_generator", setup.pulse_generator.model)
    s = setup.safety
    checks = (
        ("smu", smu, "smu_voltage_max", s.smu_voltage_max, "source_voltage"),
        ("smu", smu, "compliance_current_max", s.compliance_current_max, "compliance_current"),
        ("pulse_generator", pulse, "pulse_voltage_max", s.pulse_voltage_max, "high_level"),
        ("pulse_generator", pulse, "pulse_width_max", s.pulse_width_max, "pulse_width"),
    )
    for role, model, name, limit, setting in checks:
        most = model.range_of(setting).high
        if limit > most:
            raise ConfigError(f"setup file {path}: safety.{name} = {limit:g} is beyond what the "
                              f"{role} ({model.name}) can do ({most:g}); lower it")
    shortest = pulse.range_of("pulse_width").low
    if s.pulse_width_min < shortest:
        raise ConfigError(f"setup file {path}: safety.pulse_width_min = {s.pulse_width_min:g} s "
                          f"is shorter than the {pulse.name} can make ({shortest:g} s); raise it")


def check_programming(setup: Setup, path: Path) -> None:
    """Refuse ``[programming]`` values beyond ``[safety]``: every voltage on the terminals it
    reaches, every pulse width within the range."""
    limits = setup.safety
    for name, terminal, volts in setup.programming.reaches():
        limit = limits.voltage_max(terminal)
        if volts > limit:
            raise ConfigError(f"setup file {path}: programming.{name} = {volts:g} V is beyond "
                              f"safety.{limits.key(terminal)} = {limit:g} V (the "
                              f"{LABELS[terminal]}); lower it or raise the limit")
    lo, hi = limits.pulse_width_min, limits.pulse_width_max
    for name, seconds in setup.programming.widths():
        if not lo <= seconds <= hi:
            raise ConfigError(f"setup file {path}: programming.{name} = {seconds:g} s is "
                              f"outside safety.pulse_width_min/pulse_width_max = {lo:g}-{hi:g} s;"
                              " choose a width in range or change the limits")


def _first_error(err: ValidationError) -> str:
    """The first validation error as ``[key] message``: an unknown key first (with the key it
    was probably meant to be), and the known models for a model that is missing or unknown."""
    errors = err.errors()
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    first = (unknown or errors)[0]
    loc = _key(first["loc"])
    kind = first["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found") or (
            loc[-1:] == ["model"] and kind == "literal_error"):
        role = loc[0]
        known = ", ".join(models(role))  # type: ignore[arg-type]
        given = first["ctx"].get("tag", first["input"]) if kind != "union_tag_not_found" else None
        problem = "no model given" if given is None else f"unknown model {given!r}"
        return (f"[{role}.model] {problem}; known {role.replace('_', ' ')} models: {known}")
    if kind == "extra_forbidden":
        missing = [_key(e["loc"])[-1] for e in errors
                   if e["type"] == "missing" and _key(e["loc"])[:-1] == loc[:-1]]
        meant = difflib.get_close_matches(loc[-1], missing, n=1)
        hint = f"; did you mean {meant[0]!r}?" if meant else "; remove it or check its spelling"
        return f"[{'.'.join(loc)}] unknown key{hint}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"[{'.'.join(loc)}] {message}"


def _key(loc: tuple[int | str, ...]) -> list[str]:
    """A setup key from a validation error's location, without the model tag pydantic adds
    inside an instrument section (``smu.keithley2400.resource`` is ``smu.resource``)."""
    key = [str(part) for part in loc]
    if len(key) > 1 and key[0] in ("smu", "pulse_generator") and key[1] in models(key[0]):
        del key[1]
    return key
