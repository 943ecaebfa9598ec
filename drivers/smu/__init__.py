"""Source-measure unit drivers: Keithley 2400 series (SCPI) and 2600B series (TSP)."""

from drivers.smu.keithley2400 import Keithley2400
from drivers.smu.keithley2600b import Keithley2600B

__all__ = ["Keithley2400", "Keithley2600B"]
