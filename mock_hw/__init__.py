"""The simulated bench: a 1T1R HfO2 array and emulators of the instruments that drive it."""

from mock_hw.array import RRAMArray
from mock_hw.bench import Route, SimulatedBench
from mock_hw.errors import ModelParameterError, SimulationError
from mock_hw.params import DeviceModel

__all__ = ["DeviceModel", "ModelParameterError", "RRAMArray", "Route", "SimulatedBench",
           "SimulationError"]
