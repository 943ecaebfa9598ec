"""Run configurations built from a command's options: validated once, refused in one line."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from drivers.errors import ConfigError

SEED_MAX = 2**64 - 1
"""The largest seed that NumPy's and PyTorch's generators both take (neither takes one below 0)."""

Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="random seed, 0 to 2**64 - 1")]
"""A run's seed, checked before it reaches a generator."""


def check_seed(seed: int, option: str = "--seed") -> int:
    """``seed`` if it is a :data:`Seed`, else a ConfigError naming ``option``."""
    try:
        return TypeAdapter(Seed).validate_python(seed)
    except ValidationError as err:
        raise ConfigError(f"invalid {option}: {err.errors()[0]['msg']}") from None


class OptionsModel(BaseModel):
    """A run's configuration whose fields are a command's options (``levels`` is
    ``--levels``), so that a bad value is named as the user typed it; NaN and infinity are
    refused in every number."""

    model_config = ConfigDict(allow_inf_nan=False)

    @classmethod
    def build(cls, **options: Any) -> Self:
        """Validate ``options``; the first problem becomes a ConfigError naming the option."""
        try:
            return cls(**options)
        except ValidationError as err:
            first = err.errors()[0]
            message = str(first["msg"]).removeprefix("Value error, ")
            if not first["loc"]:  # a rule between options: its message names them
                raise ConfigError(message) from None
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"invalid --{where.replace('_', '-')}: {message}") from None
