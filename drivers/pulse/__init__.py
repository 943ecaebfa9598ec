"""Pulse-generator drivers: Keysight/Agilent 33500B series used for single pulses."""

from drivers.pulse.keysight33500b import Keysight33500B

__all__ = ["Keysight33500B"]
