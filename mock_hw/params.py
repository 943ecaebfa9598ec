"""Parameters of the simulated 1T1R HfO2 array, each default with its source.

All quantities are SI (volts, amperes, siemens, seconds). The defaults describe a typical
130 nm HfO2 1T1R array; a lab calibrates the model to its own chip by overriding fields.
Sources are abbreviated as in DEVICE_MODEL.md:

- [Ielmini11]  D. Ielmini, IEEE Trans. Electron Devices 58, 4309 (2011): G_LRS ~ I_CC / V0.
- [Sakurai90]  T. Sakurai, A. R. Newton, IEEE JSSC 25, 584 (1990): alpha-power MOSFET law.
- [Dalgaty21]  T. Dalgaty et al., Nature Electronics 4, 151 (2021): 16 kbit 1T1R arrays,
               cycle-to-cycle SET spread, forming and HRS statistics.
- [Esmanhotto20] E. Esmanhotto et al., IEDM 2020: multi-level 1T1R, relaxation.
- [Milo21]     V. Milo et al., IRPS 2021: IGVVA, residual programming error.
- [Perez21]    E. Perez et al., Electronics 10, 1084 (2021): ISPVA on 1T1R, RESET depth.
- [aihwkit]    IBM aihwkit PCM/ReRAM read-noise models.
- [Chen15]     B. Chen et al., HfO2 RRAM endurance 1e6-1e8 cycles (reviewed in
               Ielmini & Wong, Nature Electronics 1, 333 (2018)).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_TILES = 1024
"""The most arrays one simulated chip holds (of the default 128 x 128: 16.8 M cells)."""

PULSES_PER_CYCLE = 2
"""Switching pulses in one endurance cycle (a SET and a RESET): a device's budget of
``endurance`` cycles is spent after that many times as many switching pulses."""


class DeviceModel(BaseModel):
    """Physics of one 1T1R HfO2 cell population, vectorized over the array."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # Geometry
    rows: int = Field(128, ge=1, le=4096, description="Word lines per tile (16 kbit: 128).")
    cols: int = Field(128, ge=1, le=4096, description="Bit lines per tile (16 kbit: 128).")
    tiles: int = Field(1, ge=1, le=MAX_TILES, description="Number of identical arrays.")

    # Access transistor: I_CC = k * (V_G - V_th)^alpha  [Sakurai90], fitted so that
    # V_G 0.8-2.0 V spans I_CC ~10-140 uA as in DEVICE_MODEL.md.
    v_th: float = Field(0.55, gt=0, lt=2, description="Transistor threshold voltage (V).")
    k_transistor: float = Field(80e-6, gt=0, description="Alpha-power prefactor (A/V^alpha).")
    alpha: float = Field(1.5, ge=1, le=2, description="Alpha-power exponent [Sakurai90].")

    # SET: G ~ Normal(I_CC / V0, sigma) [Ielmini11]
    v0: float = Field(0.4, gt=0, description="Universal SET law V0 (V), 0.3-0.5 V [Ielmini11].")
    v0_d2d_sigma_ln: float = Field(
        0.15, ge=0, le=1, description="Device-to-device log-normal sigma of V0 [Dalgaty21]."
    )
    c2c_rel_sigma_low: float = Field(
        0.20, ge=0, le=1, description="Relative SET spread at I_CC = 10 uA [Dalgaty21]."
    )
    c2c_rel_sigma_high: float = Field(
        0.05, ge=0, le=1, description="Relative SET spread at I_CC = 200 uA [Dalgaty21]."
    )
    i_cc_spread_low: float = Field(
        10e-6, gt=0, description="Compliance at which c2c_rel_sigma_low applies (A).")
    i_cc_spread_high: float = Field(
        200e-6, gt=0, description="Compliance at which c2c_rel_sigma_high applies (A).")
    v_set: float = Field(1.0, gt=0, description="Median SET threshold on the bit line (V).")
    v_set_width: float = Field(0.1, gt=0, description="Softness of the SET threshold (V).")

    # Voltage-time dilemma: thresholds fall by volts_per_decade_width per decade of width.
    width_reference: float = Field(
        1e-6, gt=0, description="Pulse width at which v_set and v_reset apply (s).")
    volts_per_decade_width: float = Field(
        0.05, ge=0, description="Threshold shift per decade of pulse width (V).")
    dc_tail_widths: float = Field(
        4.0, gt=0, description="Under DC bias, cells switch only within this many threshold "
        "widths of the median threshold: far below, the logistic tail would let a 0.2 V read "
        "switch cells, where the voltage-time law puts it beyond years.")

    # RESET: each pulse removes a random fraction of the excess over the HRS floor [Perez21].
    v_reset: float = Field(1.5, gt=0, description="Source-line voltage of half RESET depth (V).")
    v_reset_width: float = Field(0.25, gt=0, description="Softness of the RESET onset (V).")
    reset_depth_max: float = Field(
        0.6, gt=0, lt=1, description="Largest mean fraction of G removed per RESET pulse."
    )
    reset_depth_spread: float = Field(
        0.4, ge=0, le=2, description="Relative spread of the removed fraction per pulse."
    )
    v_gate_reset_full: float = Field(
        2.5, gt=0, description="Gate voltage above which RESET is not transistor-limited (V)."
    )
    g_hrs_median: float = Field(2e-6, gt=0, description="Median HRS floor (S), 0.5-10 uS.")
    g_hrs_sigma_ln: float = Field(0.6, ge=0, le=3, description="Log-normal sigma of HRS floor.")

    # Forming [Dalgaty21]
    v_form_median: float = Field(3.0, gt=0, description="Median forming voltage (V), 2.5-4 V.")
    v_form_sigma: float = Field(0.15, ge=0, description="Device-to-device forming spread (V).")
    g_unformed: float = Field(1e-9, ge=0, description="Conductance of a pristine cell (S).")
    formed_at_start: bool = Field(False, description="Start with every healthy cell formed.")

    # Read noise: sigma = r * G + sigma_abs per read [aihwkit], r about 0.5-3 %.
    read_rel_sigma: float = Field(0.01, ge=0, le=0.5, description="Relative read noise.")
    read_abs_sigma: float = Field(0.1e-6, ge=0, description="Absolute read noise floor (S).")
    read_time: float = Field(1e-6, gt=0, description="Duration of one read (s).")

    # Relaxation: G(t) = G_prog + mu(t) + s(t) z,  s(t) = a log10(1 + t/t0) [Esmanhotto20]
    relax_sigma_per_decade: float = Field(1e-6, ge=0, description="a in s(t) (S/decade).")
    relax_mu_per_decade: float = Field(-0.2e-6, le=0, description="Drift of the mean (S/decade).")
    relax_t0: float = Field(1.0, gt=0, description="Relaxation time constant t0 (s).")

    # Endurance [Chen15]: log-normal budget of SET/RESET cycles per device (DEVICE_MODEL.md);
    # wear is counted in switching pulses, two to a cycle (PULSES_PER_CYCLE).
    endurance_median: float = Field(1e6, gt=0, description="Median endurance (cycles).")
    endurance_sigma_ln: float = Field(1.0, ge=0, le=5, description="Log-normal sigma.")

    # Stuck faults present from the start: 0.1-2 % of cells [Dalgaty21]; the default, 0.3 %
    # in all, is a well-formed array. Raise both for a worn or poorly yielding one.
    stuck_lrs_fraction: float = Field(0.0015, ge=0, le=1, description="Cells stuck at LRS.")
    stuck_hrs_fraction: float = Field(0.0015, ge=0, le=1, description="Cells stuck at HRS.")
    g_stuck_lrs: float = Field(150e-6, gt=0, description="Conductance of a stuck-LRS cell (S).")
    g_stuck_hrs: float = Field(1e-6, gt=0, description="Conductance of a stuck-HRS cell (S).")

    # Absolute maximum ratings: beyond them the model refuses (chip damage).
    v_abs_max: float = Field(5.0, gt=0, description="Largest |V| on any terminal (V).")
    width_min: float = Field(10e-9, gt=0, description="Shortest pulse width (s).")
    width_max: float = Field(1e-3, gt=0, description="Longest pulse width (s).")

    @model_validator(mode="after")
    def _consistent(self) -> DeviceModel:
        if self.stuck_lrs_fraction + self.stuck_hrs_fraction > 1:
            raise ValueError("stuck_lrs_fraction + stuck_hrs_fraction must not exceed 1")
        if self.width_min >= self.width_max:
            raise ValueError("width_min must be below width_max")
        if self.i_cc_spread_low >= self.i_cc_spread_high:
            raise ValueError("i_cc_spread_low must be below i_cc_spread_high")
        return self

    @property
    def cells_per_tile(self) -> int:
        return self.rows * self.cols
