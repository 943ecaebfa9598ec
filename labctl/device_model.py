"""Device-model overrides of the simulated chip (``--device NAME=VALUE,...``): the physics of
``--backend mock`` changed parameter by parameter, checked against ``mock_hw``'s model.

The names are the fields of ``mock_hw.params.DeviceModel`` (``read_rel_sigma``,
``stuck_lrs_fraction``, ``relax_sigma_per_decade``, ...), in its units (S, V, s, fractions);
the array's geometry and forming state are the run's, and its absolute maximum ratings are
the chip's, not overrides.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ValidationError

from drivers.errors import ConfigError
from mock_hw.params import DeviceModel

SET_BY_THE_RUN = ("rows", "cols", "tiles", "formed_at_start")
"""Model fields a run decides itself (the chip's size, whether it starts formed)."""
RATINGS = ("v_abs_max", "width_min", "width_max")
"""The chip's absolute maximum ratings: what damages it is not a parameter to vary."""

Overrides = dict[str, float | bool]


def parameters() -> list[str]:
    """Every parameter an override may set."""
    return [name for name in DeviceModel.model_fields
            if name not in SET_BY_THE_RUN and name not in RATINGS]


def parse_overrides(text: str | None) -> Overrides:
    """``"read_rel_sigma=0.02,stuck_lrs_fraction=0.01"`` as overrides (checked by
    :func:`checked`); a malformed item is a ConfigError naming it."""
    overrides: Overrides = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"invalid --device: {item.strip()!r} is not NAME=VALUE (e.g. "
                              "read_rel_sigma=0.02)")
        overrides[name.strip()] = _value(value.strip())
    return checked(overrides)


def _value(text: str) -> float | bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"invalid --device: {text!r} is not a number") from None


def problem(overrides: dict[str, Any]) -> str | None:
    """What is wrong with ``overrides`` (a name that is not a model parameter, a value the
    model refuses), or None."""
    for name in overrides:
        if name in SET_BY_THE_RUN:
            return f"{name} is set by the run, not the device model"
        if name in RATINGS:
            return f"{name} is one of the chip's absolute maximum ratings, not a device parameter"
        if name not in DeviceModel.model_fields:
            return (f"unknown parameter {name!r}; the device model's parameters: "
                    f"{', '.join(parameters())}")
    try:
        DeviceModel(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "model"
        return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
    return None


def checked(overrides: dict[str, Any]) -> Overrides:
    """``overrides`` if nothing is wrong with them, else a ConfigError naming the problem."""
    found = problem(overrides)
    if found is not None:
        raise ConfigError(f"invalid --device: {found}")
    return dict(overrides)


def _valid(overrides: Overrides) -> Overrides:
    found = problem(overrides)
    if found is not None:
        raise ValueError(found)
    return overrides


DeviceOverrides = Annotated[Overrides, AfterValidator(_valid)]
"""A run configuration's field of device-model overrides, checked as ``--device`` is."""

ONLY_ON_THE_MOCK = "--device sets the physics of the simulated chip: it needs --backend mock"


def simulated_model(overrides: Overrides, *, tiles: int = 1, formed: bool = False
                    ) -> DeviceModel:
    """The simulated chip's model: the defaults with ``overrides``, of ``tiles`` arrays."""
    return DeviceModel(**checked(overrides), tiles=tiles, formed_at_start=formed)
