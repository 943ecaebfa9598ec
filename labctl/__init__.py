"""labctl: drive a 1T1R HfO2 RRAM test chip, or its simulation, from program to training."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("labctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
