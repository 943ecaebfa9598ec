"""``labctl calibrate``: the device-model parameters a ``labctl program`` archive measures.

What the archive holds and what it gives:

- two read-backs straight after programming (``verify`` at delay 0 and once more at once):
  their difference is read noise alone, fitted as sigma = r G + sigma_0 over the levels;
- the read-back after ``--wait``: relaxation. Each cell's time since its last pulse is the
  bench time of the writes after it (cells are written in order), so the change over the
  wait is c [log10(1 + (tau + wait) / t0) - log10(1 + tau / t0)] plus read noise, with c of
  mean mu and spread a per decade (t0 held at the model's value);
- the writes that failed without one reversal: stuck at LRS (above the top band) or at HRS
  (below the bottom band), the stuck cells' conductance, and the cells that never formed;
- the gate calibration's readings (``gate_response``): the median G one SET reaches at each
  gate, fitted as k (V_G - V_th)^alpha / V0 (the universal SET law, k held at the model's);
  and the read after the two RESET pulses that follow each SET: the fraction of the excess
  over the HRS floor one RESET pulse removes, and from it ``reset_depth_max`` (the RESET
  law's voltage and gate dependence held at the model's);
- the RESET-gate sweep (``reset_response``): the fraction one RESET pulse removes from the
  same SET state at each gate, fitted as F min(1, I(V_G) / I(V_full)) with I the alpha-power
  transistor current, its threshold and exponent fitted with it: ``v_gate_reset_full``, the
  gate above which RESET is not transistor-limited;
- per level, the programming error (the RMS of G about its target right after programming,
  read noise removed) and the pulses per write: figures, not model fields.

Uncertainties are standard (1 sigma): a bootstrap over cells for everything the cells give,
least-squares covariance for the gate law, binomial for the fractions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from labctl.archive import Archive
from labctl.archive.errors import ArchiveError
from mock_hw import physics
from mock_hw.params import DeviceModel

BOOTSTRAP = 200
"""Resamples of the cells behind every bootstrap uncertainty."""
MIN_CELLS = 50
"""Fewest programmed cells (per fit) from which a figure is fitted."""
UNFORMED = 0.4e-6
"""A cell reading less than this (S), below the lowest high-resistance state published
(0.5 µS, DEVICE_MODEL.md), never formed."""
_DEFAULT = DeviceModel()



@dataclass(frozen=True)
class Estimate:
    """One fitted figure: value and standard uncertainty in ``unit`` (SI)."""

    name: str
    value: float
    uncertainty: float
    unit: str
    published: str
    """The range DEVICE_MODEL.md's sources give, for comparison ("" if none)."""
    parameter: bool = True
    """A DeviceModel field (written to the model file), else a figure only reported."""


@dataclass(frozen=True)
class Calibration:
    """What an archive gave: the estimates, and why each figure it could not fit failed."""

    estimates: list[Estimate]
    unfitted: dict[str, str] = field(default_factory=dict)
    cells: int = 0

    def parameters(self) -> dict[str, float]:
        return {e.name: e.value for e in self.estimates if e.parameter}

    def uncertainties(self) -> dict[str, float]:
        return {e.name: e.uncertainty for e in self.estimates if e.parameter}


@dataclass(frozen=True)
class _Cells:
    """The successfully programmed cells, aligned: their level's centre and three reads."""

    level: NDArray[np.int64]
    centre: NDArray[np.float64]
    first: NDArray[np.float64]
    again: NDArray[np.float64] | None
    waited: NDArray[np.float64] | None
    decades: NDArray[np.float64] | None
    """log10(1 + (tau + wait)/t0) - log10(1 + tau/t0) per cell."""

    def take(self, pick: NDArray[np.int64]) -> _Cells:
        def sub(a: NDArray | None) -> NDArray | None:
            return None if a is None else a[pick]
        return _Cells(self.level[pick], self.centre[pick], self.first[pick], sub(self.again),
                      sub(self.waited), sub(self.decades))


def calibrate(archive: Archive, seed: int = 0) -> Calibration:
    """Fit what ``archive`` (kind ``program``) measures; ArchiveError if it is not one."""
    if archive.kind != "program":
        raise ArchiveError(f"{archive.path} is a {archive.kind!r} archive, not a program one: "
                           "labctl calibrate fits what labctl program measured on the chip")
    levels, writes, verify = (archive.table(n) for n in ("levels", "writes", "verify"))
    unfitted: dict[str, str] = {}
    estimates = _stuck(writes, levels, unfitted)
    cells = _aligned(levels, writes, verify, unfitted)
    if cells is None:
        unfitted.setdefault("read noise", f"fewer than {MIN_CELLS} programmed cells")
    else:
        estimates += _bootstrapped(cells, np.random.default_rng(seed), unfitted)
        estimates += _pulses(writes)
    response = _optional(archive, "gate_response")
    estimates += _gate_law(response, unfitted)
    estimates += _reset_response(response, _reset_pulse(archive), np.random.default_rng(seed),
                                 unfitted)
    estimates += _reset_gate_law(_optional(archive, "reset_response"),
                                 np.random.default_rng(seed), unfitted)
    return Calibration(estimates, unfitted, int(writes.size))


def _optional(archive: Archive, name: str) -> np.ndarray | None:
    try:
        return archive.table(name)
    except ArchiveError:
        return None


def _aligned(levels: np.ndarray, writes: np.ndarray, verify: np.ndarray,
             unfitted: dict[str, str]) -> _Cells | None:
    ok = writes["success"]
    cells = writes["cell"][ok].astype(np.int64)
    if cells.size < MIN_CELLS:
        return None
    delays = np.unique(verify["delay"])
    reads = []
    for delay in delays:
        rows = verify[verify["delay"] == delay]
        order = np.argsort(rows["cell"])
        at = np.searchsorted(rows["cell"][order], cells)
        found = (at < rows.size) & (rows["cell"][order][np.minimum(at, rows.size - 1)] == cells)
        reads.append(np.where(found, rows["g"][order][np.minimum(at, rows.size - 1)], np.nan))
    if len(delays) < 2 or delays[1] > 0.1 * _DEFAULT.relax_t0:
        unfitted["read noise"] = ("the archive has no second read-back straight after "
                                  "programming (written by labctl before calibrate existed)")
    wait = float(delays[-1]) if delays.size > 1 and delays[-1] > 1.0 else None
    if wait is None:
        unfitted["relaxation"] = "the archive has no read-back after a wait (program --wait)"
    # each cell's time since its last pulse: the writes after it (written in order)
    tau = (np.cumsum(writes["time"][::-1])[::-1] - writes["time"])[ok]
    decades = None if wait is None else (_decades(tau + wait) - _decades(tau))
    level = writes["level"][ok].astype(np.int64)
    centre = np.interp(level, levels["level"], levels["centre"])
    again = reads[1] if "read noise" not in unfitted else None
    return _Cells(level, centre, reads[0], again, reads[-1] if wait else None, decades)


def _decades(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log10(1.0 + t / _DEFAULT.relax_t0)


def _bootstrapped(cells: _Cells, rng: np.random.Generator, unfitted: dict[str, str]
                  ) -> list[Estimate]:
    """Read noise, relaxation and the programming error per level, each with the spread of
    its value over bootstrap resamples of the cells."""
    point = _cell_figures(cells)
    if cells.again is None:
        for figure in ("relaxation spread", "programming error"):
            if cells.waited is not None or figure == "programming error":
                unfitted[figure] = "needs the read noise, which this archive cannot give"
    n = cells.level.size
    samples = [_cell_figures(cells.take(rng.integers(0, n, n))) for _ in range(BOOTSTRAP)]
    return [Estimate(name, value, float(np.std([s[name][0] for s in samples], ddof=1)), unit,
                     published, parameter)
            for name, (value, unit, published, parameter) in point.items()]


Figure = tuple[float, str, str, bool]
"""(value, unit, published range, whether it is a DeviceModel field)."""


def _cell_figures(cells: _Cells) -> dict[str, Figure]:
    """Every figure the cells give: the relaxation's drift from the read-back after the
    wait; with the repeated read-back, the read noise, the relaxation's spread (read noise
    taken out) and the programming error per level."""
    figures: dict[str, Figure] = {}
    now = cells.first if cells.again is None else 0.5 * (cells.first + cells.again)
    if cells.waited is not None and cells.decades is not None:
        change, x = cells.waited - now, cells.decades
        mu = float(np.sum(change * x) / np.sum(x * x))
        figures["relax_mu_per_decade"] = (min(mu, 0.0), "S/decade",
                                          "<= 0, small [Esmanhotto20]", True)
    if cells.again is None:
        return figures
    r, floor = _read_noise(cells.level, cells.first, cells.again)
    figures["read_rel_sigma"] = (r, "1", "0.005-0.03 [aihwkit]", True)
    figures["read_abs_sigma"] = (floor, "S", "", True)

    def sigma(g: NDArray[np.float64]) -> NDArray[np.float64]:
        return r * g + floor

    if cells.waited is not None and cells.decades is not None:
        excess = (change - mu * x) ** 2 - 1.5 * sigma(cells.waited) ** 2
        a = math.sqrt(max(float(np.sum(excess) / np.sum(x * x)), 0.0))
        figures["relax_sigma_per_decade"] = (a, "S/decade", "0.5-2 [Esmanhotto20]", True)
    for level in np.unique(cells.level).tolist():
        mine = cells.level == level
        error = float(np.mean((now[mine] - cells.centre[mine]) ** 2)
                      - np.mean(sigma(now[mine]) ** 2) / 2)
        figures[f"programming_error_L{level}"] = (
            math.sqrt(max(error, 0.0)), "S", "2.7-4.3 at 50-225 µS [Milo21]", False)
    return figures


def _read_noise(level: NDArray[np.int64], first: NDArray[np.float64],
                again: NDArray[np.float64]) -> tuple[float, float]:
    """sigma = r G + sigma_0, least squares over the levels weighted by each level's
    standard error; the sigma of a level from the difference of its two immediate reads."""
    g, sigma, weight = [], [], []
    for k in np.unique(level).tolist():
        mine = level == k
        diff = again[mine] - first[mine]
        if diff.size < 3:
            continue
        s = float(np.std(diff, ddof=1) / math.sqrt(2.0))
        g.append(float(np.mean(first[mine])))
        sigma.append(s)
        weight.append(math.sqrt(2.0 * (diff.size - 1)) / max(s, 1e-12))
    if len(g) < 2:
        return float(np.mean(sigma) / np.mean(g)) if g else 0.0, 0.0
    slope, intercept = np.polyfit(g, sigma, 1, w=weight)
    return max(float(slope), 0.0), max(float(intercept), 0.0)


def _stuck(writes: np.ndarray, levels: np.ndarray, unfitted: dict[str, str]) -> list[Estimate]:
    """Cells stuck at LRS or HRS, as fractions of the cells written, and their conductance.

    A stuck cell's write fails without one reversal: every pulse pushed the same way and
    the cell stayed above the top band (stuck at LRS, RESET after RESET) or below the bottom
    one (stuck at HRS, SET after SET). A healthy cell that runs out of pulses overshoots its
    band back and forth. A cell below ``UNFORMED`` never formed: a figure of its own.
    """
    n = writes.size
    if n < MIN_CELLS:
        unfitted["stuck cells"] = f"fewer than {MIN_CELLS} cells written"
        return []
    one_way = ~writes["success"] & (writes["reversals"] == 0)
    g = writes["g_final"]
    unformed = one_way & (g < UNFORMED)
    out = []
    for name, stuck, g_name in (
            ("stuck_lrs_fraction", one_way & (g > levels["hi"].max()), "g_stuck_lrs"),
            ("stuck_hrs_fraction", one_way & (g < levels["lo"].min()) & ~unformed,
             "g_stuck_hrs")):
        out.append(_fraction(name, stuck, "0.001-0.02 [Dalgaty21]"))
        k = int(np.count_nonzero(stuck))
        if k >= 3:
            out.append(Estimate(g_name, float(np.median(g[stuck])),
                                float(1.2533 * np.std(g[stuck], ddof=1) / math.sqrt(k)), "S",
                                ""))
    out.append(_fraction("unformed_fraction", unformed, "", parameter=False))
    return out


def _fraction(name: str, cells: NDArray[np.bool_], published: str, parameter: bool = True
              ) -> Estimate:
    """k of n cells as a fraction, with the binomial uncertainty of (k + 1) / (n + 2)."""
    n, k = cells.size, int(np.count_nonzero(cells))
    p = (k + 1) / (n + 2)
    return Estimate(name, k / n, math.sqrt(p * (1 - p) / n), "1", published, parameter)


def _pulses(writes: np.ndarray) -> list[Estimate]:
    ok = writes["success"]
    pulses = writes["pulses"][ok].astype(np.float64)
    return [Estimate("pulses_per_write", float(np.mean(pulses)),
                     float(np.std(pulses, ddof=1) / math.sqrt(pulses.size)), "1", "",
                     parameter=False)]


def _gate_law(response: np.ndarray | None, unfitted: dict[str, str]) -> list[Estimate]:
    """V0, V_th and alpha of G = k (V_G - V_th)^alpha / V0 from the median G per gate, over
    the gates whose median lies well above the HRS floor and whose readings do not clip at
    the read's full scale (k held at the model's)."""
    from scipy.optimize import curve_fit

    if response is None or not response.size:
        unfitted["SET response to the gate"] = ("the archive has no gate calibration readings "
                                                "(written by labctl before calibrate existed)")
        return []
    gates = np.unique(response["gate"])
    per_gate = [response["g"][response["gate"] == v] for v in gates]
    med = np.array([np.median(g) for g in per_gate])
    spread = np.array([np.std(np.log(np.maximum(g, 1e-12))) for g in per_gate])
    n = np.array([g.size for g in per_gate])
    # the law holds from the deepest RESET on (the first gates may start from a shallower
    # one), above the HRS floor, and below the read ADC's full scale, where readings clip
    top = float(response["g"].max())
    clips = _clips(response["g"])
    saturated = np.array([clips and np.mean(g >= top * (1 - 1e-6)) > 0.05 for g in per_gate])
    above = ((np.arange(gates.size) >= np.argmin(med)) & (med > 4.0 * med.min())
             & ~saturated)
    if np.count_nonzero(above) < 4:
        unfitted["SET response to the gate"] = ("fewer than 4 gates SET above the HRS floor "
                                                "and below the read's full scale")
        return []
    k = _DEFAULT.k_transistor

    def log_g(v: NDArray[np.float64], v0: float, v_th: float, alpha: float
              ) -> NDArray[np.float64]:
        return np.log(k * np.maximum(v - v_th, 1e-9) ** alpha / v0)

    start = (_DEFAULT.v0, _DEFAULT.v_th, _DEFAULT.alpha)
    bounds = ([0.05, 0.0, 1.0], [2.0, float(gates[above].min()) - 1e-3, 2.0])
    try:
        values, cov = curve_fit(log_g, gates[above], np.log(med[above]), p0=start, bounds=bounds,
                             sigma=1.2533 * np.maximum(spread[above], 1e-3) / np.sqrt(n[above]),
                             absolute_sigma=True)
    except (RuntimeError, ValueError) as err:
        unfitted["SET response to the gate"] = f"the SET law does not fit ({err})"
        return []
    errors = np.sqrt(np.diag(cov))
    return [Estimate("v0", float(values[0]), float(errors[0]), "V", "0.3-0.5 [Ielmini11]"),
            Estimate("v_th", float(values[1]), float(errors[1]), "V", ""),
            Estimate("alpha", float(values[2]), float(errors[2]), "1", "1-2 [Sakurai90]")]


RESET_FROM = 20e-6
"""Pairs whose SET reached at least this (S), far above any HRS floor, measure the RESET."""
STUCK_RATIO = 0.7
"""A sampled cell whose read after RESET is, in the median, above this fraction of its read
after the SET before it does not switch (stuck), and is left out of the RESET fit."""
CLIP_MARGIN = 0.8
"""Where reads clip at the ADC's full scale, SET states read above this fraction of it are
left out: their noisy reads are cut, so they read low."""


def _reset_pulse(archive: Archive) -> tuple[float, float, float] | None:
    """(reset_max V, reset_width s, reset_gate V) of the run's write-verify, if archived."""
    try:
        v_max, width, gate = (float(archive.array(f"instrument/write_verify/{name}"))
                              for name in ("reset_max", "reset_width", "reset_gate"))
    except (ArchiveError, KeyError, TypeError, ValueError):
        return None
    return v_max, width, gate


def _reset_response(response: np.ndarray | None, pulse: tuple[float, float, float] | None,
                    rng: np.random.Generator, unfitted: dict[str, str]) -> list[Estimate]:
    """The mean fraction f one RESET pulse removes: after two pulses from a SET state G the
    cell holds floor + (1 - f)^2 (G - floor), so the slope of the read after the RESET
    against the read after the SET before it, over every cell and gate, is (1 - f)^2."""
    if response is None or not response.size or not np.any(response["g_reset"]):
        unfitted["RESET response"] = ("the archive has no reads after the gate calibration's "
                                      "RESET pulses (written by labctl before they were kept)")
        return []
    gates = np.unique(response["gate"]).size
    g = response["g"].reshape(gates, -1)
    after = response["g_reset"].reshape(gates, -1)
    before, after = g[:-1], after[1:]
    usable = (before >= RESET_FROM) & (before < _unclipped_below(response["g"]))
    # a stuck cell keeps its conductance through RESET and SET alike (ratio about 1, where
    # a switching cell keeps a fifth to a half of it): it says nothing about the RESET
    seen = usable.any(axis=0)
    ratio = np.full(g.shape[1], np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio[seen] = np.nanmedian(np.where(usable, after / before, np.nan)[:, seen], axis=0)
    switching = np.flatnonzero(ratio < STUCK_RATIO)

    def fraction(cells: NDArray[np.int64]) -> float:
        x, y, keep = before[:, cells].ravel(), after[:, cells].ravel(), usable[:, cells].ravel()
        if np.count_nonzero(keep) < 10:
            return math.nan
        slope = float(np.polyfit(x[keep], y[keep], 1)[0])
        return 1.0 - math.sqrt(min(max(slope, 0.0), 1.0))

    n = switching.size
    f = fraction(switching) if n else math.nan
    if not math.isfinite(f):
        unfitted["RESET response"] = "fewer than 10 SET states above 20 µS to RESET from"
        return []
    spread = float(np.nanstd([fraction(switching[rng.integers(0, n, n)])
                              for _ in range(BOOTSTRAP)], ddof=1))
    out = [Estimate("reset_fraction_per_pulse", f, spread, "1", "", parameter=False)]
    if pulse is None:
        unfitted["reset_depth_max"] = "the archive does not record the write-verify's RESET"
        return out
    v_max, width, gate = pulse
    v_eff = v_max + physics.width_shift(_DEFAULT, width)
    scale = float(physics.reset_depth(_DEFAULT, v_eff) / _DEFAULT.reset_depth_max
                  * physics.reset_drive(_DEFAULT, gate))
    depth = f / scale
    if not 0 < depth < 1:
        unfitted["reset_depth_max"] = (f"a RESET fraction of {f:.3f} at {v_max} V is beyond "
                                       "the model's RESET law")
        return out
    out.append(Estimate("reset_depth_max", depth, spread / scale, "1",
                        "0.6 typical [Perez21]"))
    return out


def _clips(g: NDArray[np.float64]) -> bool:
    """Whether the reads reached the ADC's full scale: three or more sit at their top."""
    return np.count_nonzero(g >= float(g.max()) * (1 - 1e-6)) >= 3


def _unclipped_below(g: NDArray[np.float64]) -> float:
    """Reads near the ADC's full scale clip, which understates a SET state's G: where the
    reads clip, only those below CLIP_MARGIN of the top are kept."""
    return CLIP_MARGIN * float(g.max()) if _clips(g) else math.inf


def _reset_gate_law(sweep: np.ndarray | None, rng: np.random.Generator,
                    unfitted: dict[str, str]) -> list[Estimate]:
    """``v_gate_reset_full`` from the RESET-gate sweep: per gate, the mean fraction of the
    SET state one RESET pulse removes (the HRS floor, a few per cent of it, neglected),
    fitted as F min(1, ((V_G - V_th) / (V_full - V_th))^alpha) with F, V_th and alpha free
    (V_th below the lowest gate, alpha 1-2): the SET law's V_th and alpha, fitted on other
    gates, would carry their own errors into V_full. Uncertainty by bootstrap over cells."""
    from scipy.optimize import curve_fit

    if sweep is None or not sweep.size:
        unfitted["RESET response to the gate"] = ("the archive has no RESET-gate sweep "
                                                  "(written by labctl before it was kept)")
        return []
    gates = np.unique(sweep["gate"])
    before = sweep["g_set"].reshape(gates.size, -1)
    after = sweep["g_reset"].reshape(gates.size, -1)
    ratio = after / np.maximum(before, 1e-12)
    # a stuck cell keeps its conductance at the fully driven gates too
    switching = np.median(ratio[-3:], axis=0) < STUCK_RATIO
    usable = ((before >= RESET_FROM) & (before < _unclipped_below(sweep["g_set"]))
              & switching[None, :])
    cells = np.flatnonzero(usable.all(axis=0))
    if cells.size < 10:
        unfitted["RESET response to the gate"] = ("fewer than 10 switching cells SET above "
                                                  "20 µS in the RESET-gate sweep")
        return []
    removed = 1.0 - ratio[:, cells]
    lowest = float(gates.min())

    def drive(v: NDArray[np.float64], depth: float, v_full: float, v_th: float, alpha: float
              ) -> NDArray[np.float64]:
        return depth * np.minimum(1.0, (np.maximum(v - v_th, 0.0) / (v_full - v_th)) ** alpha)

    def fit(pick: NDArray[np.int64]) -> float:
        f = removed[:, pick]
        error = np.maximum(f.std(axis=1, ddof=1), 1e-3) / math.sqrt(pick.size)
        start = (float(f[-1].mean()), float(gates[-1]), 0.5 * lowest, _DEFAULT.alpha)
        try:
            values, _ = curve_fit(drive, gates, f.mean(axis=1), sigma=error, p0=start,
                                  bounds=([1e-3, lowest, 0.0, 1.0], [1.0, 10.0, 0.95 * lowest,
                                                                    2.0]))
        except (RuntimeError, ValueError):
            return math.nan
        return float(values[1])

    v_full = fit(np.arange(cells.size))
    if not math.isfinite(v_full) or v_full >= gates.max():
        unfitted["RESET response to the gate"] = (
            f"no gate of the RESET-gate sweep (up to {gates.max():.2f} V) drives RESET fully, "
            "so where it stops being transistor-limited cannot be fitted (reset_depth_max "
            f"assumes the model's {_DEFAULT.v_gate_reset_full} V)")
        return []
    spread = float(np.nanstd([fit(rng.integers(0, cells.size, cells.size))
                              for _ in range(BOOTSTRAP)], ddof=1))
    return [Estimate("v_gate_reset_full", v_full, spread, "V",
                     "2.5-4, gate fully on (DEVICE_MODEL.md)")]
