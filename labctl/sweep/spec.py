"""A sweep's specification (``SPEC.toml``): the command, its base options and the grid.

    command = "train"             # or "program"

    [options]                     # every run's options, named as the command's options
    limit = 2000
    epochs = 1

    [grid]                        # axes of the grid: every combination is one run
    seed = [0, 1, 2]
    meta = [2, 3, 4]

    [[zip]]                       # axes that vary together: one more axis of the grid
    lr = [0.005, 0.01]
    lr_warmup = [0.5, 0.0]

Option names may be written ``lr-warmup`` or ``lr_warmup``; values are what the command's
options take (``g_min`` of ``program`` in µS, as ``--g-min``). An entry of a table option is
an option of its own, named with a dot, so it can be an axis: ``device.read_rel_sigma =
[0.005, 0.02]`` in ``[grid]`` sweeps one device-model parameter (TOML reads the dotted key
and ``device = {read_rel_sigma = ...}`` as the same table).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drivers.errors import ConfigError


def option_name(name: str) -> str:
    """``lr-warmup`` and ``lr_warmup`` are one option."""
    return name.replace("-", "_")


def flattened(table: dict[str, Any]) -> dict[str, Any]:
    """``table`` with option names normalised and each sub-table's entries as options of
    their own: ``{"device": {"read_rel_sigma": v}}`` is ``{"device.read_rel_sigma": v}``."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update({f"{option_name(name)}.{key}": v for key, v in value.items()})
        else:
            flat[option_name(name)] = value
    return flat


def nested(options: dict[str, Any]) -> dict[str, Any]:
    """The command's options from a grid point's: each ``OPTION.KEY`` an entry of the table
    ``OPTION`` (which :meth:`SweepSpec.check` keeps from being given whole as well)."""
    given: dict[str, Any] = {}
    for name, value in options.items():
        table, dot, key = name.partition(".")
        if dot:
            given.setdefault(table, {})[key] = value
        else:
            given[name] = value
    return given


def stable_hash(value: Any, length: int = 16) -> str:
    """Hex digest of ``value``'s canonical JSON: the same for the same content, on any
    machine and in any Python session."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Factor:
    """One axis of the grid's product: a single option, or options zipped together."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    """One tuple per step along the axis, a value for each of ``names``."""

    @property
    def dim(self) -> str:
        """The axis's name: its first option's."""
        return self.names[0]

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Point:
    """One grid point: its position along every factor and the options it sets."""

    index: int
    position: tuple[int, ...]
    options: dict[str, Any]

    def label(self) -> str:
        """``seed=0, meta=3``: how messages and tables name the point."""
        return ", ".join(f"{k}={shown(v)}" for k, v in self.options.items())


def shown(value: Any) -> str:
    """An option's value as tables, plots and messages write it: ``4.5``, ``256,128``."""
    if isinstance(value, list):
        return ",".join(map(shown, value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and (not value or not value.isprintable()):
        return repr(value)
    return str(value)


class SweepSpec(BaseModel):
    """What a ``labctl sweep`` runs; the grid is the product of ``grid``'s axes and of each
    ``zip`` group (whose lists vary together)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    command: str = Field(description="the labctl command every run is: train or program")
    options: dict[str, Any] = Field(default_factory=dict, description="every run's options")
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="axis -> values")
    zip: list[dict[str, list[Any]]] = Field(
        default_factory=list, description="groups of axes whose values vary together")

    @field_validator("options", "grid", mode="before")
    @classmethod
    def _normalised(cls, table: Any) -> Any:
        return flattened(table) if isinstance(table, dict) else table

    @field_validator("zip", mode="before")
    @classmethod
    def _normalised_groups(cls, groups: Any) -> Any:
        if not isinstance(groups, list):
            return groups
        return [flattened(g) if isinstance(g, dict) else g for g in groups]

    @property
    def factors(self) -> list[Factor]:
        """The grid's axes, in the order the spec names them (``grid`` first)."""
        factors = [Factor((name,), tuple((v,) for v in values))
                   for name, values in self.grid.items()]
        factors += [Factor(tuple(group), tuple(zip(*group.values(), strict=True)))
                    for group in self.zip]
        return factors

    @property
    def axes(self) -> list[str]:
        """Every option the grid sets."""
        return [name for factor in self.factors for name in factor.names]

    @property
    def identity(self) -> str:
        """Stable id of this sweep: its index belongs to it and to no other spec."""
        return stable_hash(self.model_dump(mode="json"))

    def check(self) -> None:
        """Refuse a grid that is empty or names an option twice."""
        if not self.grid and not self.zip:
            raise ConfigError("the sweep's grid is empty: give [grid] at least one axis, e.g. "
                              "seed = [0, 1, 2]")
        for name, values in self.grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"grid axis {name!r} has no values: give it a non-empty list")
        for group in self.zip:
            lengths = {name: len(v) if isinstance(v, list) else 0 for name, v in group.items()}
            if len(group) < 2 or 0 in lengths.values() or len(set(lengths.values())) != 1:
                shown = ", ".join(f"{n} ({k})" for n, k in lengths.items())
                raise ConfigError(f"a [[zip]] group needs two or more non-empty lists of one "
                                  f"length; it has {shown or 'none'}")
        seen: set[str] = set()
        for name in self.axes:
            if name in seen:
                raise ConfigError(f"option {name!r} is on two axes of the grid: keep one")
            if name in self.options:
                raise ConfigError(f"option {name!r} is both a base option and a grid axis: "
                                  "remove it from [options]")
            seen.add(name)
        given = {*self.options, *self.axes}
        for name in sorted(given):
            table = name.partition(".")[0]
            if table != name and table in given:
                raise ConfigError(f"option {table!r} is given whole and by its entry {name!r}: "
                                  f"give its entries one by one ({table}.NAME)")

    def points(self) -> list[Point]:
        """Every grid point, the last factor varying fastest."""
        self.check()
        factors = self.factors
        points = []
        for index, position in enumerate(itertools.product(*(range(len(f)) for f in factors))):
            options: dict[str, Any] = {}
            for factor, step in zip(factors, position, strict=True):
                options.update(zip(factor.names, factor.values[step], strict=True))
            points.append(Point(index, position, options))
        return points


def load_spec(path: Path) -> SweepSpec:
    """The sweep spec in TOML file ``path``; anything wrong is one ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sweep spec; give the path of a SPEC.toml") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the sweep spec ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    return spec_from(data, str(path))


def spec_from(data: dict[str, Any], source: str = "the sweep spec") -> SweepSpec:
    """A validated SweepSpec from its TOML tables; a bad table is one ConfigError."""
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        hint = (" (known keys: command, options, grid, zip)" if first["type"] == "extra_forbidden"
                else "")
        raise ConfigError(f"{source}: {where}: {first['msg']}{hint}") from None
    spec.check()
    return spec
