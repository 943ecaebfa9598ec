"""Errors raised by the simulation when it is asked something a chip would refuse."""


class SimulationError(Exception):
    """Base class of every error raised by ``mock_hw``."""


class ModelParameterError(SimulationError, ValueError):
    """An argument is outside what the simulated chip accepts; names it and its range."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        super().__init__(f"{name}={value!r} is invalid: allowed {allowed}")
        self.name = name
        self.value = value
        self.allowed = allowed
