"""The instrument registry: every model a setup file can name, in one place.

An entry ties a model name to its driver class, its section of the setup file (a pydantic
sub-schema) and the emulator that stands in for it on the simulated bench. The setup loader,
the backend factory, ``labctl mock-server`` and the CLI's help all derive the known models
from ``MODELS``; adding an instrument model means its driver, its emulator, one entry here
and their tests.

Emulators are named by import path and loaded only when a simulated bench is built, so the
application does not import the simulation to read a setup file.
"""

from __future__ import annotations

import functools
import importlib
import operator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pyvisa import rname

from drivers.errors import ConfigError
from drivers.instrument import Instrument, RangeByVariant, Setting, StrictRange
from drivers.pulse.keysight33500b import Keysight33500B
from drivers.roles import BenchInstrument, PulseGenerator, SourceMeter
from drivers.safety import Interlock
from drivers.smu.keithley2400 import Keithley2400
from drivers.smu.keithley2600b import Keithley2600B
from drivers.transport import LineTransport

Role = Literal["smu", "pulse_generator"]
ROLES: dict[Role, type[BenchInstrument]] = {"smu": SourceMeter, "pulse_generator": PulseGenerator}
"""The role interface a model of each role implements."""


class VisaInstrument(BaseModel):
    """A setup file's section for one VISA instrument: model, resource, timeout, terminations."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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

    def driver_options(self) -> dict[str, Any]:
        """Keyword arguments the model's driver takes from this section."""
        return {}

    def emulator_options(self) -> dict[str, Any]:
        """Keyword arguments the model's emulator takes from this section."""
        return {}


class Keithley2400Setup(VisaInstrument):
    """A Keithley 2400-series SourceMeter (SCPI)."""

    model: Literal["keithley2400"]


class Keithley2600BSetup(VisaInstrument):
    """One channel of a Keithley 2600B-series System SourceMeter (TSP)."""

    model: Literal["keithley2600b"]
    channel: Literal["a", "b"] = Field("a", description="SMU channel (smua or smub).")

    def driver_options(self) -> dict[str, Any]:
        return {"channel": self.channel}

    def emulator_options(self) -> dict[str, Any]:
        return {"wired_channel": self.channel}


class Keysight33500BSetup(VisaInstrument):
    """One channel of a Keysight/Agilent 33500B-series waveform generator."""

    model: Literal["keysight33500b"]
    channel: Literal[1, 2] = Field(1, description="Output channel of the generator.")

    def driver_options(self) -> dict[str, Any]:
        return {"channel": self.channel}


@dataclass(frozen=True)
class InstrumentModel:
    """One instrument model: its name in setup files, role, driver, setup section, emulator."""

    name: str
    role: Role
    driver: type[Instrument]
    setup: type[VisaInstrument]
    emulator: str
    """``module:Class`` of the emulator in ``mock_hw``."""

    def __post_init__(self) -> None:
        if not issubclass(self.driver, ROLES[self.role]):
            raise TypeError(f"{self.driver.__name__} does not implement the {self.role} role")

    def open(self, transport: LineTransport, interlock: Interlock,
             section: VisaInstrument) -> Instrument:
        """The driver on ``transport``, configured from the setup-file ``section``."""
        factory: Any = self.driver
        instrument: Instrument = factory(transport, interlock, **section.driver_options())
        return instrument

    def range_of(self, setting: str) -> StrictRange:
        """The instrument's own range of one declared numeric setting, e.g. ``source_voltage``
        (over every model of the series where the range depends on the model)."""
        declared = getattr(self.driver, setting)
        validator = declared.validator if isinstance(declared, Setting) else None
        if isinstance(validator, RangeByVariant):
            return validator.widest()
        if not isinstance(validator, StrictRange):
            raise TypeError(f"{self.driver.__name__}.{setting} is not a numeric setting")
        return validator

    def emulator_class(self) -> type:
        """The emulator class, imported on first use."""
        module, _, name = self.emulator.partition(":")
        cls: type = getattr(importlib.import_module(module), name)
        return cls


MODELS: tuple[InstrumentModel, ...] = (
    InstrumentModel("keithley2400", "smu", Keithley2400, Keithley2400Setup,
                    "mock_hw.instruments.keithley2400:Keithley2400Emulator"),
    InstrumentModel("keithley2600b", "smu", Keithley2600B, Keithley2600BSetup,
                    "mock_hw.instruments.keithley2600b:Keithley2600BEmulator"),
    InstrumentModel("keysight33500b", "pulse_generator", Keysight33500B, Keysight33500BSetup,
                    "mock_hw.instruments.keysight33500b:Keysight33500BEmulator"),
)


def models(role: Role) -> dict[str, InstrumentModel]:
    """The registered models of one role, by name."""
    return {m.name: m for m in MODELS if m.role == role}


def lookup(role: Role, name: str) -> InstrumentModel:
    """The registered model ``name`` of ``role``; ConfigError naming the known ones."""
    known = models(role)
    if name not in known:
        raise ConfigError(f"unknown {role.replace('_', ' ')} model {name!r}: use one of "
                          f"{', '.join(known)}")
    return known[name]


def _section(role: Role) -> Any:
    """The setup-file schema of a role: one of its models' sections, chosen by ``model``."""
    schemas = [m.setup for m in MODELS if m.role == role]
    if len(schemas) == 1:
        return schemas[0]
    return Annotated[functools.reduce(operator.or_, schemas), Field(discriminator="model")]


SmuSection = _section("smu")
PulseSection = _section("pulse_generator")
