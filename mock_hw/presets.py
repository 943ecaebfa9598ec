"""Named device models: the default and the ends of the ranges DEVICE_MODEL.md's sources
publish, each a set of ``DeviceModel`` fields with the sources it is taken from.

A preset names only what it changes; every other field keeps its default (``params.py``,
where each default is cited). The published ranges are those of 130 nm-class HfO2 1T1R
arrays programmed in the low-resistance regime, about 10-120 µS (DEVICE_MODEL.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mock_hw.params import DeviceModel


@dataclass(frozen=True)
class Preset:
    """A named device model: the fields it sets, what it describes and where from."""

    name: str
    summary: str
    sources: str
    """The publications the values come from, abbreviated as in ``mock_hw.params``."""
    fitted_range: str
    """The devices and conductance range the values were published for."""
    fields: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def model(self, **run: int | bool) -> DeviceModel:
        """This preset as a device model, with the run's geometry and forming state."""
        return DeviceModel(**self.fields, **run)


_LRS_WINDOW = "HfO2 1T1R, 130 nm class, low-resistance regime 10-120 µS"

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in (
    Preset("typical", "the default: the middle of every published range",
           "Ielmini11, Dalgaty21, Esmanhotto20, aihwkit, Chen15 (per field, params.py)",
           _LRS_WINDOW),
    Preset("quiet", "the quiet end of the published ranges: 0.5 % read noise, relaxation "
           "spread 0.5 µS/decade, the tighter SET spreads, 0.1 % stuck cells",
           "read noise: aihwkit (0.5-3 %); relaxation: Esmanhotto20 (0.5-2 µS/decade); SET "
           "spread: Dalgaty21 (10-30 % low, 3-10 % high compliance); faults: Dalgaty21 "
           "(0.1-2 %)", _LRS_WINDOW,
           MappingProxyType({"read_rel_sigma": 0.005, "relax_sigma_per_decade": 0.5e-6,
                             "c2c_rel_sigma_low": 0.10, "c2c_rel_sigma_high": 0.03,
                             "v0_d2d_sigma_ln": 0.10, "stuck_lrs_fraction": 0.0005,
                             "stuck_hrs_fraction": 0.0005})),
    Preset("noisy", "the noisy end of the published ranges: 3 % read noise, relaxation "
           "spread 2 µS/decade, the wider SET spreads, 2 % stuck cells",
           "read noise: aihwkit (0.5-3 %); relaxation: Esmanhotto20 (0.5-2 µS/decade); SET "
           "spread: Dalgaty21 (10-30 % low, 3-10 % high compliance); faults: Dalgaty21 "
           "(0.1-2 %)", _LRS_WINDOW,
           MappingProxyType({"read_rel_sigma": 0.03, "relax_sigma_per_decade": 2e-6,
                             "relax_mu_per_decade": -0.5e-6, "c2c_rel_sigma_low": 0.30,
                             "c2c_rel_sigma_high": 0.10, "v0_d2d_sigma_ln": 0.20,
                             "stuck_lrs_fraction": 0.01, "stuck_hrs_fraction": 0.01})),
    Preset("faulty", "a poorly yielding array: 10 % of cells stuck, half at LRS, half at HRS; "
           "otherwise typical",
           "faults: IBM arrays with 10 % and more stuck cells (DEVICE_MODEL.md)", _LRS_WINDOW,
           MappingProxyType({"stuck_lrs_fraction": 0.05, "stuck_hrs_fraction": 0.05})),
)})
"""Every preset by name."""
