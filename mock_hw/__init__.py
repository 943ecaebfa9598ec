"""The simulated bench: a 1T1R HfO2 array and emulators of the instruments that drive it.

Names load on first use, so that importing an error type does not compile the array's kernels.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "array": ["RRAMArray"],
    "bench": ["Route", "SimulatedBench"],
    "errors": ["ModelParameterError", "SimulationError"],
    "params": ["DeviceModel"],
})
