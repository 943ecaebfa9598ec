"""The simulated chip's device model: a preset or a device-model file (``--device-model``)
with overrides on top (``--device NAME=VALUE,...``), checked against ``mock_hw``'s model.

The names are the fields of ``mock_hw.params.DeviceModel`` (``read_rel_sigma``,
``stuck_lrs_fraction``, ``relax_sigma_per_decade``, ...), in its units (S, V, s, fractions);
the array's geometry and forming state are the run's, and its absolute maximum ratings are
the chip's, not overrides. A device-model file (TOML, what ``labctl calibrate`` writes)::

    preset = "typical"            # optional: the preset its fields change
    [model]                       # DeviceModel fields
    read_rel_sigma = 0.0123
    [uncertainty]                 # optional: standard uncertainty of each, same units
    read_rel_sigma = 0.0004
    [provenance]                  # optional: where the values come from (strings)
    archive = "runs/program-chip7.h5"
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationError

from drivers.errors import ConfigError
from mock_hw.params import DeviceModel
from mock_hw.presets import PRESETS

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

ONLY_ON_THE_MOCK = ("--device and --device-model set the physics of the simulated chip: "
                    "they need --backend mock")
FILE_TABLES = ("model", "uncertainty", "provenance")
"""The tables of a device-model file, besides its optional ``preset``."""


def device_overrides(model: str | None, device: str | None) -> Overrides:
    """A run's device model as overrides of the default: the preset or file ``model``
    names (see :func:`load_model`), then the ``--device`` overrides on top."""
    return checked({**(load_model(model) if model else {}), **parse_overrides(device)})


def load_model(spec: str) -> Overrides:
    """The fields of the preset named ``spec``, or of the device-model file at ``spec`` (its
    preset's fields, then its ``[model]``); ConfigError naming the problem otherwise."""
    if spec in PRESETS:
        return dict(PRESETS[spec].fields)
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"--device-model {spec!r} is neither a preset ({', '.join(PRESETS)}) "
                          "nor a device-model file: give a preset name or the path of a TOML "
                          "file (labctl calibrate writes them)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: not a readable TOML file ({err}); fix it or write it again "
                          "with labctl calibrate") from None
    unknown = sorted(set(data) - {"preset", *FILE_TABLES})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; a device-model file holds "
                          f"preset and the tables {', '.join(FILE_TABLES)}")
    preset = data.get("preset", "typical")
    if preset not in PRESETS:
        raise ConfigError(f"{path}: preset {preset!r} is not one of {', '.join(PRESETS)}")
    fields = data.get("model", {})
    if not isinstance(fields, dict):
        raise ConfigError(f"{path}: model must be a table of device-model parameters")
    found = problem(fields)
    if found is not None:
        raise ConfigError(f"{path}: {found}")
    return {**PRESETS[preset].fields, **fields}


def write_model(path: Path, fields: Mapping[str, float], uncertainty: Mapping[str, float],
                provenance: Mapping[str, str], preset: str = "typical") -> None:
    """Write a device-model file that :func:`load_model` reads back to ``fields``."""
    found = problem(dict(fields))
    if found is not None:
        raise ConfigError(f"cannot write {path}: {found}")
    lines = ["# labctl device model: load it with --device-model FILE", "",
             f"preset = {_toml(preset)}"]
    for table, values in (("model", fields), ("uncertainty", uncertainty),
                          ("provenance", provenance)):
        lines += ["", f"[{table}]", *(f"{name} = {_toml(value)}" for name, value in
                                      values.items())]
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot write {path}: {err.strerror}; give --out a path in a "
                          "writable folder") from None


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                         ("inf" if value > 0 else "-inf"))
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def simulated_model(overrides: Overrides, *, tiles: int = 1, formed: bool = False
                    ) -> DeviceModel:
    """The simulated chip's model: the defaults with ``overrides``, of ``tiles`` arrays."""
    return DeviceModel(**checked(overrides), tiles=tiles, formed_at_start=formed)
