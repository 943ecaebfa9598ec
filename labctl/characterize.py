"""The characterization procedures as library functions that return typed results.

    import labctl

    with labctl.open_bench("mock", seed=1) as bench:
        curves = labctl.iv(bench, rows="0:4", cols="0:4", cycles=3)
        life = labctl.endurance(bench, rows="0:8", cols="0:8", cycles=1_000_000)
    print(curves.v_set.median, life.weibull.median)          # V; cycles

Each runs as its command does (``labctl iv``, ``retention``, ``endurance``, ``disturb``),
archived to ``out`` (default ``runs/<kind>-<time>.h5``), its options those of the command's
configuration in SI units; bad values raise ConfigError and limits SafetyError before any
pulse. Results hold the key figures; ``labctl.open_archive(result.archive)`` has the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.api import out_path, silent
from labctl.backends import run_provenance
from labctl.bench import Bench


def _run(kind: str, bench: Bench, out: str | Path | None, sample: str | None,
         operator: str | None, config: Any, archived: Any) -> tuple[Path, dict[str, Any]]:
    path = out_path(out, kind)
    return path, archived(config, bench, path, run_provenance(None, sample, operator, bench),
                          silent)


@dataclass(frozen=True)
class Spread:
    """A distribution over cells and cycles: how many values, their mean, σ and quantiles."""

    count: int
    mean: float | None = None
    std: float | None = None
    median: float | None = None
    p10: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class IVReport:
    """Switching figures of an I-V run: voltages in V, resistances in Ω at the read voltage."""

    archive: Path
    cells: int
    cycles: int
    v_form: Spread
    v_set: Spread
    v_reset: Spread
    """|V_reset| of the RESET branches that switched."""
    r_on: Spread
    r_off: Spread
    on_off_ratio: Spread
    set_yield: float | None
    """Fraction of SET branches that switched."""
    reset_yield: float | None


def iv(bench: Bench, *, out: str | Path | None = None, sample: str | None = None,
       operator: str | None = None, **options: Any) -> IVReport:
    """Quasi-static I-V sweeps of a region through the SMU (``labctl iv``): forming where
    pristine, then ``cycles`` RESET/SET pairs; ``options`` are ``IVConfig``'s (``tile``,
    ``rows``, ``cols`` or ``cells``, ``cycles``, ``step``, ``v_set``, ``v_reset``, ...)."""
    from labctl.characterization.iv import IVConfig, iv_archived, validate

    config = IVConfig.build(**options)
    validate(config, bench.geometry, bench.fpga.interlock.limits)
    path, s = _run("iv", bench, out, sample, operator, config, iv_archived)
    return IVReport(path, int(s["cells"]), int(s["cycles"]),
                    *(Spread(**s[name]) for name in ("v_form", "v_set", "v_reset", "r_on",
                                                     "r_off", "on_off_ratio")),
                    s["set_yield"], s["reset_yield"])


@dataclass(frozen=True)
class RetentionReport:
    """How programmed levels held: read-back error against time after programming."""

    archive: Path
    cells: int
    levels: int
    times: tuple[float, ...]
    """Each read-back's time after programming ended (s)."""
    readback_error: tuple[float, ...]
    """Fraction of cells nearer another level's centre, at each read-back."""
    error_passes: dict[str, float | None]
    """When the read-back error first reached 1 % and 5 % (s; None: never)."""
    drift_per_decade: float | None
    """Fitted mean relaxation per decade of time (S); None with too few late read-backs."""
    sigma_per_decade: float | None
    """Fitted relaxation spread per decade of time (S)."""


def retention(bench: Bench, *, out: str | Path | None = None, sample: str | None = None,
              operator: str | None = None, **options: Any) -> RetentionReport:
    """Program a region to levels and read it back at log-spaced times (``labctl
    retention``); ``options`` are ``RetentionConfig``'s (``levels``, ``duration`` and
    ``first`` in s, ``reads``, the region, ``g_min``/``g_max``/``tolerance`` in S, ...)."""
    from labctl.characterization.retention import RetentionConfig, retention_archived, validate

    config = RetentionConfig.build(**options)
    validate(config, bench.geometry)
    path, s = _run("retention", bench, out, sample, operator, config, retention_archived)
    fit = s["relaxation"] or {}
    return RetentionReport(path, int(s["cells"]), int(s["levels"]), tuple(s["times"]),
                           tuple(s["readback_error"]), dict(s["error_passes"]),
                           fit.get("drift_per_decade"), fit.get("sigma_per_decade"))


@dataclass(frozen=True)
class Weibull:
    """A two-parameter Weibull of cycles to failure, fitted by maximum likelihood."""

    shape: float
    scale: float
    """Cycles."""
    median: float
    """Cycles."""
    cells: int
    failures: int


@dataclass(frozen=True)
class EnduranceReport:
    """How many cycles the cells survived."""

    archive: Path
    cells: int
    failed: int
    failed_at_first_read: int
    """Cells with no window from the start (stuck), left out of the fit."""
    cycles_reached: int
    weibull: Weibull | None
    """None with fewer than two failures to fit."""


def endurance(bench: Bench, *, out: str | Path | None = None, sample: str | None = None,
              operator: str | None = None, **options: Any) -> EnduranceReport:
    """SET/RESET cycling of a region in pulse bursts until ``cycles`` or failure (``labctl
    endurance``); ``options`` are ``EnduranceConfig``'s (``cycles``, ``reads_per_decade``,
    ``min_window`` in S, ``probe_cycles``, ``v_set``, ``v_reset``, ``gate``, ``width``, ...)."""
    from labctl.characterization.endurance import EnduranceConfig, endurance_archived, validate

    config = EnduranceConfig.build(**options)
    validate(config, bench.geometry, bench.fpga.interlock.limits)
    path, s = _run("endurance", bench, out, sample, operator, config, endurance_archived)
    fit = s["weibull"]
    return EnduranceReport(path, int(s["cells"]), int(s["failed"]),
                           int(s["failed_at_first_read"]), int(s["cycles_reached"]),
                           Weibull(**fit) if fit else None)


@dataclass(frozen=True)
class DisturbPoint:
    """One read-back of a disturb run: mean changes of G since before the stress (S)."""

    stress: float
    """Reads of each stressed cell, or seconds of bias, so far."""
    drift_stressed: float | None
    drift_control: float | None
    disturb: float | None
    """The stressed cells' drift less the controls' (S)."""
    moved_stressed: float | None
    """Fraction of the stressed cells that moved by more than the tolerance."""
    moved_control: float | None


@dataclass(frozen=True)
class DisturbReport:
    """What reads or a DC bias did to programmed cells, against unstressed controls."""

    archive: Path
    stress: str
    stressed: int
    controls: int
    points: tuple[DisturbPoint, ...]


def disturb(bench: Bench, *, out: str | Path | None = None, sample: str | None = None,
            operator: str | None = None, **options: Any) -> DisturbReport:
    """Program a region, stress half of it by reads or a DC bias, read it all back (``labctl
    disturb``); ``options`` are ``DisturbConfig``'s (``stress``, ``amount``, ``first``,
    ``points``, ``v_stress``, the region and levels, ...)."""
    from labctl.characterization.disturb import DisturbConfig, disturb_archived, validate

    config = DisturbConfig.build(**options)
    validate(config, bench.geometry, bench.fpga.interlock.limits)
    path, s = _run("disturb", bench, out, sample, operator, config, disturb_archived)
    fields = ("stress", "drift_stressed", "drift_control", "disturb", "moved_stressed",
              "moved_control")
    return DisturbReport(path, s["stress"], int(s["stressed"]), int(s["controls"]),
                         tuple(DisturbPoint(**{k: p[k] for k in fields})
                               for p in s["read_backs"]))
