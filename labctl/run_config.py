"""Run configurations built from a command's options: validated once, refused in one line."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from drivers.errors import ConfigError


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
