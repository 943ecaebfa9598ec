"""The simulated 1T1R HfO2 array: vectorized device state and the physics of each operation.

State is kept flat over all cells of all tiles (index = (tile * rows + row) * cols + col) so
that any subset of cells is one integer array and every operation is a handful of numpy
expressions (the noisy MVM adds compiled element-wise loops, ``mock_hw.mvm_kernels``). One
seed drives all randomness (a ``numpy.random.Generator`` for the device physics and a stream
spawned from it for crossbar output noise); the number of draws depends only on the
arguments, so the same seed and the same calls give identical results.

Conductance evolves only through pulses; relaxation is a deterministic function of the
simulated clock and of a per-cell random direction drawn when the cell was last programmed:
G(t) = G_prog + (mu + a z) log10(1 + (t - t_prog) / t0), z ~ Normal(0, 1).

The laws are ``mock_hw.physics``; when the present conductance is evaluated from the state is
``mock_hw.conductance_cache``. This module holds the cells' state and how each operation
updates it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mock_hw import physics
from mock_hw.conductance_cache import ConductanceCache
from mock_hw.dc_kernels import STUCK_HRS, STUCK_LRS, STUCK_NONE, staircase
from mock_hw.errors import ModelParameterError
from mock_hw.mvm_kernels import add_output_noise, stage_inputs
from mock_hw.normal_table import TableNormalSampler
from mock_hw.params import PULSES_PER_CYCLE, DeviceModel

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int64]
Cells = ArrayLike | None
"""Flat cell indices (any integer array-like), or ``None`` for every cell."""

_CYCLE_MEMORY = 1e-6
"""A block of SET/RESET cycles is simulated pulse by pulse over its last m cycles, m the
fewest after which the cells' state keeps less than this fraction of its start."""
_CYCLE_EXPLICIT_MAX = 64
"""Beyond this many cycles of memory (pulses that barely switch) every cycle is simulated."""
_FLOAT32_MIN_READ_REL_SIGMA = 1e-3
"""Noisy MVMs run in float32 when the relative read noise is at least this large: float32
rounding of a 128-term product (~1e-6 relative) then stays >= 100x below the output noise."""


class RRAMArray:
    """One or more simulated 1T1R tiles sharing one clock and one random generator."""

    def __init__(self, model: DeviceModel | None = None, seed: int = 0) -> None:
        self.model = model or DeviceModel()
        self.seed = seed
        m = self.model
        seeds = np.random.SeedSequence(seed)
        self._rng = np.random.Generator(np.random.PCG64(seeds))
        n = m.tiles * m.rows * m.cols
        self.n_cells = n
        rng = self._rng
        self.v0 = m.v0 * np.exp(m.v0_d2d_sigma_ln * rng.standard_normal(n))
        self.v_form = m.v_form_median + m.v_form_sigma * rng.standard_normal(n)
        self.g_hrs = m.g_hrs_median * np.exp(m.g_hrs_sigma_ln * rng.standard_normal(n))
        self.endurance = m.endurance_median * np.exp(m.endurance_sigma_ln * rng.standard_normal(n))
        """Each device's budget of SET/RESET cycles."""
        self.pulse_budget = PULSES_PER_CYCLE * self.endurance
        """The same budget in switching pulses, the unit ``writes`` counts."""
        u = rng.random(n)
        lrs_cut, hrs_cut = m.stuck_lrs_fraction, m.stuck_lrs_fraction + m.stuck_hrs_fraction
        self.stuck = np.select([u < lrs_cut, u < hrs_cut], [STUCK_LRS, STUCK_HRS], STUCK_NONE
                               ).astype(np.int8)
        self.formed = np.full(n, m.formed_at_start) | (self.stuck != STUCK_NONE)
        self.g_prog = np.where(self.formed, self.g_hrs, m.g_unformed)
        self.g_prog[self.stuck == STUCK_LRS] = m.g_stuck_lrs
        self.g_prog[self.stuck == STUCK_HRS] = m.g_stuck_hrs
        self.writes = np.zeros(n, dtype=np.int64)
        self.t_prog = np.zeros(n)
        self._relax_coef = np.zeros(n)
        self.clock = 0.0
        self._cache = ConductanceCache(n, m.relax_t0, self._relaxed, lambda: self.clock)
        self._mvm_dtype = (np.float32 if m.read_rel_sigma >= _FLOAT32_MIN_READ_REL_SIGMA
                           else np.float64)
        self._mvm_normals = TableNormalSampler(seeds.spawn(1)[0], self._mvm_dtype)
        self._mvm_buffers: tuple[tuple[int, ...], tuple[NDArray[np.floating], ...]] = ((), ())

    # ----------------------------------------------------------------- addressing
    @property
    def shape(self) -> tuple[int, int, int]:
        """(tiles, rows, cols)."""
        return (self.model.tiles, self.model.rows, self.model.cols)

    def flat_index(self, tile: ArrayLike, row: ArrayLike, col: ArrayLike) -> IndexArray:
        """Flat indices of cells given by (tile, row, col), broadcast together."""
        t, r, c = (np.asarray(a, dtype=np.int64) for a in (tile, row, col))
        for name, a, n in (("tile", t, self.model.tiles), ("row", r, self.model.rows),
                           ("col", c, self.model.cols)):
            if a.size and (a.min() < 0 or a.max() >= n):
                raise ModelParameterError(name, int(a.min() if a.min() < 0 else a.max()),
                                          f"0 to {n - 1}")
        try:
            t, r, c = np.broadcast_arrays(t, r, c)
        except ValueError:
            raise ModelParameterError("tile/row/col shapes", (t.shape, r.shape, c.shape),
                                      "shapes that broadcast together") from None
        return ((t * self.model.rows + r) * self.model.cols + c).ravel()

    def _select(self, cells: Cells) -> slice | IndexArray:
        if cells is None:
            return slice(None)
        idx = np.asarray(cells)
        if idx.dtype.kind not in "iu":
            raise ModelParameterError("cells", idx.dtype.name, "integer flat cell indices")
        idx = idx.astype(np.int64, copy=False).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_cells):
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise ModelParameterError("cells", int(bad), f"0 to {self.n_cells - 1}")
        return idx

    def _volts(self, name: str, value: ArrayLike, n: int, lo: float | None = None) -> FloatArray:
        """``value`` as n voltages, refused if any is non-finite or outside [lo, v_abs_max]."""
        v = np.asarray(value, dtype=np.float64)
        vmax = self.model.v_abs_max
        lo = -vmax if lo is None else lo
        if v.size and not (v.min() >= lo and v.max() <= vmax):  # NaN fails both comparisons
            flat = v.ravel()
            bad = flat[~((flat >= lo) & (flat <= vmax))][0]
            raise ModelParameterError(name, float(bad), f"{lo} V to {vmax} V")
        try:
            return np.broadcast_to(v, (n,))
        except ValueError:
            raise ModelParameterError(f"{name} shape", v.shape, f"a scalar or ({n},)") from None

    def _width(self, width: float) -> float:
        m = self.model
        if not (m.width_min <= width <= m.width_max):
            raise ModelParameterError("width", width, f"{m.width_min} s to {m.width_max} s")
        return float(width)

    # ----------------------------------------------------------------- physics helpers
    def compliance_current(self, v_gate: ArrayLike) -> FloatArray:
        """Saturation current of the access transistor at gate voltage ``v_gate`` (A)."""
        return physics.compliance_current(self.model, v_gate)

    def _commit(self, cells: IndexArray, g_now: FloatArray, g_new: FloatArray,
                changed: NDArray[np.bool_], switched: NDArray[np.bool_]) -> None:
        """Store new conductances, restart their relaxation, count wear, retire worn cells."""
        m = self.model
        z = self._rng.standard_normal(cells.size)
        n_changed = np.count_nonzero(changed)
        if n_changed:
            renewed = cells
            if n_changed < cells.size:
                renewed, g_new, z = cells[changed], g_new[changed], z[changed]
            self.g_prog[renewed] = g_new
            self._relax_coef[renewed] = m.relax_mu_per_decade + m.relax_sigma_per_decade * z
            self.t_prog[renewed] = self.clock
            self._cache.renewed(renewed, g_new)  # restarted: not relaxed yet, G = g_prog
        if np.count_nonzero(switched):
            self._wear(cells, g_now, switched)
        self._cache.changed()

    def _wear(self, idx: IndexArray, g_now: FloatArray, switched: NDArray[np.bool_]) -> None:
        """Count a write on every switched cell; a cell past its endurance sticks where it is."""
        self.writes[idx] += switched
        worn = switched & (self.writes[idx] > self.pulse_budget[idx])
        if np.count_nonzero(worn):
            retired, g_worn = idx[worn], g_now[worn]
            self.g_prog[retired] = g_worn
            self._relax_coef[retired] = 0.0
            self.t_prog[retired] = self.clock
            lrs = g_worn > np.sqrt(self.g_hrs[retired] * self.model.g_stuck_lrs)
            self.stuck[retired] = np.where(lrs, STUCK_LRS, STUCK_HRS)
            self._cache.renewed(retired, g_worn)

    def _indices(self, cells: Cells) -> IndexArray:
        sel = self._select(cells)
        return np.arange(self.n_cells) if isinstance(sel, slice) else sel

    # ----------------------------------------------------------------- operations
    def set_pulse(self, cells: Cells, v_bl: ArrayLike, v_gate: ArrayLike, width: float) -> None:
        """Apply a SET pulse (bit line at ``v_bl``, gate at ``v_gate``) to ``cells``.

        Pristine cells form when ``v_bl`` reaches their forming voltage. Formed cells move
        toward G = I_CC(V_G) / V0 with cycle-to-cycle spread; a compliance below the present
        conductance leaves the cell as it is.
        """
        idx = self._indices(cells)
        width = self._width(width)
        self.set_checked(idx, self._volts("v_bl", v_bl, idx.size, lo=0.0),
                         self._volts("v_gate", v_gate, idx.size, lo=0.0), width)

    def set_checked(self, idx: IndexArray, v_bl: FloatArray | float, v_gate: FloatArray | float,
                    width: float) -> None:
        """``set_pulse`` for arguments the caller has already checked (the firmware's loop).

        ``idx``: distinct valid flat indices; voltages: one per cell or one for all, within
        0 V and ``v_abs_max``; ``width``: within the model's limits. Nothing is re-checked.
        """
        m = self.model
        n = idx.size
        i_cc = self.compliance_current(v_gate)
        g_cc = i_cc / self.v0[idx]
        g_target = g_cc * (1.0 + physics.c2c_rel_sigma(m, i_cc) * self._rng.standard_normal(n))
        g_target = np.maximum(g_target, self.g_hrs[idx])
        v_eff = v_bl + physics.width_shift(m, width)
        completion = physics.set_completion(m, v_eff)
        healthy = self.stuck[idx] == STUCK_NONE
        was_formed = self.formed[idx]
        conducts = i_cc > 0
        live = healthy & was_formed & conducts
        g_now = self._conductance(idx)
        grows = live & (g_target > g_now)
        g_grown = g_now + completion * (g_target - g_now)
        if np.count_nonzero(was_formed) == n:  # no pristine cell: nothing can form
            self._commit(idx, g_now, g_grown, grows, switched=live)
        else:
            forms = healthy & ~was_formed & (v_eff >= self.v_form[idx]) & conducts
            self.formed[idx[forms]] = True
            self._commit(idx, g_now, np.where(forms, g_target, g_grown), forms | grows,
                         switched=live | forms)
        self.clock += width

    def form(self, cells: Cells, v_bl: ArrayLike, v_gate: ArrayLike, width: float
             ) -> NDArray[np.bool_]:
        """Apply a forming pulse; returns which of ``cells`` are formed afterwards."""
        self.set_pulse(cells, v_bl, v_gate, width)
        return self.formed[self._select(cells)].copy()

    def reset_pulse(self, cells: Cells, v_sl: ArrayLike, v_gate: ArrayLike, width: float) -> None:
        """Apply a RESET pulse (source line at ``v_sl``, gate at ``v_gate``) to ``cells``.

        Each pulse removes a random fraction of the conductance above the cell's HRS floor,
        larger at higher amplitude and limited by the gate drive.
        """
        idx = self._indices(cells)
        width = self._width(width)
        self.reset_checked(idx, self._volts("v_sl", v_sl, idx.size, lo=0.0),
                           self._volts("v_gate", v_gate, idx.size, lo=0.0), width)

    def reset_checked(self, idx: IndexArray, v_sl: FloatArray | float,
                      v_gate: FloatArray | float, width: float) -> None:
        """``reset_pulse`` for arguments already checked, as for :meth:`set_checked`."""
        drive, frac = self._reset_fraction(idx.size, v_sl + physics.width_shift(self.model, width),
                                           v_gate)
        live = self.formed[idx] & (self.stuck[idx] == STUCK_NONE)
        g_now = self._conductance(idx)
        floor = self.g_hrs[idx]
        above = g_now > floor
        g_new = np.where(above, floor + (g_now - floor) * (1.0 - frac), g_now)
        self._commit(idx, g_now, g_new, live & (frac > 0) & above, switched=live & (drive > 0))
        self.clock += width

    def cycle_pulses(self, cells: Cells, v_set: float, v_reset: float, gate_set: ArrayLike,
                     gate_reset: ArrayLike, width: float, period: float, count: int) -> None:
        """Apply ``count`` SET/RESET cycles to ``cells``, one every ``period`` s (an endurance
        test's burst): a SET pulse of ``v_set`` with the gates at ``gate_set``, then a RESET
        pulse of ``v_reset`` the other way across the cell with the gates at ``gate_reset``
        (the voltage that sets its drive), ``width`` s each.
        """
        idx = self._indices(cells)
        width = self._width(width)
        v = self._volts("v_set, v_reset", [v_set, v_reset], 2, lo=0.0)
        if not (np.isfinite(period) and period >= 2 * width):
            raise ModelParameterError("period", period, f"a finite time >= {2 * width} s")
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ModelParameterError("count", count, "a whole number of cycles >= 0")
        self.cycle_checked(idx, float(v[0]), float(v[1]),
                           self._volts("gate_set", gate_set, idx.size, lo=0.0),
                           self._volts("gate_reset", gate_reset, idx.size, lo=0.0), width,
                           float(period), int(count))

    def cycle_checked(self, idx: IndexArray, v_set: float, v_reset: float,
                      gate_set: FloatArray | float, gate_reset: FloatArray | float,
                      width: float, period: float, count: int) -> None:
        """``cycle_pulses`` for arguments already checked, as for :meth:`set_checked`.

        Only the last m cycles are simulated pulse by pulse; the earlier ones spend wear and
        time. That is exact in distribution up to ``_CYCLE_MEMORY``: a SET completing with
        probability c and a RESET removing a mean fraction f of the excess leave
        (1 - c)(1 - f) of the state before them, so m cycles forget it. A cell whose budget
        runs out among the skipped pulses wears out on the pulse of the same polarity in the
        last simulated cycle, so it sticks in the state cycling had brought it to. With any
        pristine cell, the first cycle is simulated too (it is the one that can form).
        """
        gates = (gate_set, gate_reset)
        explicit = min(count, self._cycle_memory(v_set, v_reset, gates, width))
        start = self.clock
        first = 0
        if count > explicit and not self.formed[idx].all():
            self._one_cycle(idx, v_set, v_reset, gates, width, start, period)
            first = 1
        skipped = count - explicit - first
        if skipped > 0:
            # a pulse wears a formed healthy cell whenever its transistor conducts (set_checked,
            # reset_checked); one that conducts on only one of the two is let be: rare enough
            conducts = np.broadcast_to(np.minimum(self.compliance_current(gate_set),
                                                  self.compliance_current(gate_reset)),
                                       (idx.size,)) > 0
            live = self.formed[idx] & (self.stuck[idx] == STUCK_NONE) & conducts
            cells = idx[live]
            # the pulse that would exceed the budget (writes > budget, see _wear), moved to
            # the last simulated cycle, the same polarity, after the others forgot the start
            to_wear = np.floor(self.pulse_budget[cells]) + 1 - self.writes[cells]
            pulses = 2 * skipped
            moved = np.maximum(2 * ((to_wear - 1) // 2) - 2 * (explicit - 1), 0)
            self.writes[cells] += np.where(to_wear <= pulses, moved, pulses).astype(np.int64)
            self._cache.changed()
        for k in range(count - explicit, count):
            self._one_cycle(idx, v_set, v_reset, gates, width, start + k * period, period)
        self.clock = start + count * period

    def _one_cycle(self, idx: IndexArray, v_set: float, v_reset: float,
                   gates: tuple[FloatArray | float, FloatArray | float], width: float, at: float,
                   period: float) -> None:
        self.clock = at
        self.set_checked(idx, v_set, gates[0], width)
        self.reset_checked(idx, v_reset, gates[1], width)
        self.clock = at + period

    def _cycle_memory(self, v_set: float, v_reset: float,
                      gates: tuple[FloatArray | float, FloatArray | float], width: float) -> int:
        """How many SET/RESET cycles the cells' state takes to forget its start (see
        :meth:`cycle_checked`); every cycle if that is beyond ``_CYCLE_EXPLICIT_MAX``."""
        m = self.model
        shift = physics.width_shift(m, width)
        c = float(physics.set_completion(m, v_set + shift))
        f = float(physics.reset_depth(m, v_reset + shift)) * physics.reset_drive(m, gates[1])
        kept = float(np.max((1.0 - c) * (1.0 - f)))
        if kept <= 0.0:
            return 1
        cycles = int(np.ceil(np.log(_CYCLE_MEMORY) / np.log(kept))) if kept < 1.0 else np.inf
        return max(cycles, 1) if cycles <= _CYCLE_EXPLICIT_MAX else np.iinfo(np.int64).max

    def dc_sweep(self, cells: Cells, v_cell: ArrayLike, v_gate: ArrayLike, duration: float
                 ) -> FloatArray:
        """Hold each of the voltages ``v_cell`` (bit line minus source line, V) in turn across
        ``cells`` for ``duration`` s with the gates at ``v_gate`` (a staircase); return the
        current each cell conducts at the end of every step (A), shape (steps, cells).

        Each step has the physics of a pulse of its width: a positive bias forms pristine
        cells at their forming voltage and SETs formed ones abruptly, all the way to
        I_CC / V0, with the probability that the pulse model's completion gives (so the mean
        change per step is the pulse model's); a negative bias RESETs gradually, each step
        removing the fraction a RESET pulse would. Far below the thresholds
        (``dc_tail_widths``) nothing switches, however long the step. The current carries
        read noise and is limited by the access transistor. A cell counts a write when it
        crosses between the low- and high-resistance states. The steps run compiled
        (``mock_hw.dc_kernels``).
        """
        m = self.model
        idx = self._indices(cells)
        volts = np.atleast_1d(np.asarray(v_cell, dtype=np.float64)).ravel()
        self._volts("v_cell", volts, volts.size)
        if not (duration > 0 and np.isfinite(duration)):
            raise ModelParameterError("duration", duration, "a finite time > 0 s")
        gate = np.ascontiguousarray(self._volts("v_gate", v_gate, idx.size, lo=0.0))
        steps, n = volts.size, idx.size
        v_eff = np.abs(volts) + physics.width_shift(m, float(duration))
        set_floor = m.v_set - m.dc_tail_widths * m.v_set_width
        set_on = (volts > 0) & (v_eff > min(set_floor, float(self.v_form[idx].min(initial=np.inf))))
        completion = np.where(v_eff > set_floor, physics.set_completion(m, v_eff), 0.0)
        reset_on = (volts < 0) & (v_eff > m.v_reset - m.dc_tail_widths * m.v_reset_width)
        i_cc = np.ascontiguousarray(np.broadcast_to(self.compliance_current(gate), (n,)))
        g_hrs = self.g_hrs[idx]
        draws = [self._rng.standard_normal((steps, n)), self._rng.random((steps, n)),
                 self._rng.standard_normal((steps, n)), self._rng.standard_normal((steps, n)),
                 self._rng.standard_normal((steps, n))]
        state = [self.g_prog[idx], self.t_prog[idx], self._relax_coef[idx], self.formed[idx],
                 self.stuck[idx], self.writes[idx]]
        amps = np.empty((steps, n))
        self.clock = staircase(
            volts, v_eff, set_on, completion, reset_on, physics.reset_depth(m, v_eff),
            float(duration), self.clock, *state, self.pulse_budget[idx], self.v_form[idx],
            i_cc / self.v0[idx], physics.c2c_rel_sigma(self.model, i_cc), g_hrs,
            np.sqrt(g_hrs * m.g_stuck_lrs), physics.reset_drive(m, gate), i_cc, *draws,
            (m.relax_mu_per_decade, m.relax_sigma_per_decade, m.relax_t0),
            (m.read_rel_sigma, m.read_abs_sigma), m.reset_depth_spread, amps)
        (self.g_prog[idx], self.t_prog[idx], self._relax_coef[idx], self.formed[idx],
         self.stuck[idx], self.writes[idx]) = state
        self._cache.reevaluate(idx)  # the cells' conductance now, as a commit leaves it
        self._cache.changed()
        return amps

    def _reset_fraction(self, n: int, v_eff: FloatArray | float, v_gate: FloatArray | float
                        ) -> tuple[FloatArray, FloatArray]:
        """The transistor's drive and the fraction of the excess over the HRS floor that a
        RESET at effective voltage ``v_eff`` removes from each of ``n`` cells."""
        drive = physics.reset_drive(self.model, v_gate)
        depth = physics.reset_depth(self.model, v_eff) * drive
        spread = 1.0 + self.model.reset_depth_spread * self._rng.standard_normal(n)
        return drive, np.minimum(np.maximum(depth * spread, 0.0), 0.99)

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds pass on the simulated clock (waits, relaxation)."""
        if not (dt >= 0 and np.isfinite(dt)):
            raise ModelParameterError("dt", dt, "a finite time >= 0 s")
        self.clock += float(dt)

    def conductance(self, cells: Cells = None) -> FloatArray:
        """Present noiseless conductance of ``cells`` (S), relaxation included."""
        return self._conductance(self._select(cells)).copy()

    def _conductance(self, sel: slice | IndexArray) -> FloatArray:
        """Conductance of ``sel`` now (``mock_hw.conductance_cache`` decides when to evaluate
        the physics)."""
        return self._cache.get(sel)

    def _relaxed(self, sel: slice | IndexArray) -> FloatArray:
        """The cells' conductance now: G_prog relaxed over the time since programming."""
        return physics.relaxed(self.model, self.g_prog[sel], self._relax_coef[sel],
                               self.clock - self.t_prog[sel])

    def read_sigma(self, g: FloatArray) -> FloatArray:
        """Standard deviation of one read of conductance ``g`` (S)."""
        return physics.read_sigma(self.model, g)

    def read_current(self, cells: Cells, v_read: float) -> FloatArray:
        """Currents (A) of ``cells`` read one by one at ``v_read``, with read noise."""
        sel = self._select(cells)
        v = float(self._volts("v_read", v_read, 1)[0])
        if v == 0.0:
            vmax = self.model.v_abs_max
            raise ModelParameterError("v_read", v, f"non-zero, -{vmax} V to {vmax} V")
        return self.read_checked(sel, v)

    def read_checked(self, sel: slice | IndexArray, v_read: float) -> FloatArray:
        """``read_current`` for valid indices and a non-zero ``v_read`` within the limit."""
        g = self._conductance(sel)
        noisy = g + self.read_sigma(g) * self._rng.standard_normal(g.size)
        self.clock += self.model.read_time
        return v_read * noisy

    def read_conductance(self, cells: Cells, v_read: float = 0.1) -> FloatArray:
        """Conductances (S) of ``cells`` as measured at ``v_read`` (read noise included)."""
        return self.read_current(cells, v_read) / v_read

    def conductance_map(self, tile: int = 0) -> FloatArray:
        """Noiseless conductance of one tile as a (rows, cols) matrix (S)."""
        return self._tile_conductance(tile).copy()

    def _tile_conductance(self, tile: int) -> FloatArray:
        self._check_tile(tile)
        m = self.model
        return self._conductance(slice(tile * m.cells_per_tile, (tile + 1) * m.cells_per_tile)
                                 ).reshape(m.rows, m.cols)

    def _check_tile(self, tile: int) -> None:
        if isinstance(tile, bool) or not isinstance(tile, int | np.integer) or not (
            0 <= tile < self.model.tiles
        ):
            raise ModelParameterError("tile", tile, f"an integer from 0 to {self.model.tiles - 1}")

    def mvm(self, v_rows: ArrayLike, tile: int = 0, noise: bool = True) -> NDArray[np.floating]:
        """Column currents (A) for row voltages ``v_rows`` of shape (rows,) or (batch, rows).

        I_j = sum_i G_ij V_i. With ``noise``, the independent read noise of every cell is
        drawn once per output current with its exact variance sum_i V_i^2 sigma_ij^2 (a sum
        of independent normals is normal), so the cost is that of two matrix products; see
        ``_noisy_mvm``; the currents come in the simulation's precision (float32 unless the
        read noise is below ``_FLOAT32_MIN_READ_REL_SIGMA``). Without noise the product is
        exact in float64.
        """
        m = self.model
        v = np.asarray(v_rows, dtype=np.float64)
        if v.ndim not in (1, 2) or v.shape[-1] != m.rows:
            raise ModelParameterError("v_rows shape", v.shape, f"({m.rows},) or (batch, {m.rows})")
        self._check_tile(tile)
        if noise:
            out = self._noisy_mvm(v, tile)
        else:
            self._volts("v_rows", v.ravel(), v.size)
            out = v @ self._tile_conductance(tile)
        self.clock += m.read_time
        return out

    def _noisy_mvm(self, v: FloatArray, tile: int) -> NDArray[np.floating]:
        """Mean product plus output noise, computed and returned in ``_mvm_dtype``.

        The conductance map and the per-cell read-variance map of the tile are stacked and
        converted once per state change, so mean and variance are one stacked product.
        With float32 its rounding error (~1e-6 relative) is at least 100x below the output
        noise (see _FLOAT32_MIN_READ_REL_SIGMA) and single precision costs half as much.
        Staging the inputs and adding the noise are compiled loops (``mock_hw.mvm_kernels``);
        standard normals come from the table sampler of ``mock_hw.normal_table`` on their
        own SFC64 stream, spawned from ``seed``.
        """
        def build() -> NDArray[np.floating]:
            g64 = self._tile_conductance(tile)
            return np.stack([g64, self.read_sigma(g64) ** 2]).astype(self._mvm_dtype)

        maps = self._cache.tile_maps(tile, build)
        v2d = v.reshape(-1, v.shape[-1])
        if self._mvm_buffers[0] != v2d.shape:
            batch, cols, dtype = v2d.shape[0], self.model.cols, self._mvm_dtype
            self._mvm_buffers = (v2d.shape, (np.empty((2, *v2d.shape), dtype),
                                             np.empty((2, batch, cols), dtype),
                                             np.empty((batch, cols), dtype)))
        inputs, products, z = self._mvm_buffers[1]
        if not stage_inputs(v2d, inputs[0], inputs[1], self.model.v_abs_max**2):
            self._volts("v_rows", v.ravel(), v.size)  # exact float64 check, names the value
        np.matmul(inputs, maps, out=products)  # V @ G and V^2 @ sigma^2
        out = np.empty(products.shape[1:], self._mvm_dtype)
        add_output_noise(products[0].reshape(-1), products[1].reshape(-1),
                         self._mvm_normals.fill(z).reshape(-1), out.reshape(-1))
        return out.reshape(*v.shape[:-1], self.model.cols)

    def cells_of(self, tiles: Sequence[int] | None = None) -> IndexArray:
        """Flat indices of every cell of the given tiles (all tiles by default)."""
        m = self.model
        tiles = range(m.tiles) if tiles is None else tiles
        for t in tiles:
            self._check_tile(t)
        return np.concatenate([np.arange(t * m.cells_per_tile, (t + 1) * m.cells_per_tile)
                               for t in tiles]).astype(np.int64)

    # ----------------------------------------------------------------- checkpoints
    _STATE = ("g_prog", "formed", "stuck", "writes", "t_prog", "_relax_coef")
    """Per-cell arrays that evolve; the rest is drawn from the seed at construction."""

    def state(self) -> dict[str, NDArray[np.generic]]:
        """Everything the array's future depends on beyond its model and seed: evolving cell
        arrays, the clock, the conductance cache and both random streams."""
        out: dict[str, NDArray[np.generic]] = {name.lstrip("_"): getattr(self, name).copy()
                                               for name in self._STATE}
        taken, out["g_cache"] = self._cache.snapshot()
        out["clock"] = np.array([self.clock, taken])
        out["rng"] = _pcg64_words(self._rng.bit_generator.state)
        out["mvm_rng"] = self._mvm_normals.state.copy()
        return out

    def load_state(self, state: Mapping[str, NDArray[np.generic]]) -> None:
        """Continue exactly where :meth:`state` left off (same model and seed)."""
        for name in self._STATE:
            current = getattr(self, name)
            value = np.asarray(state[name.lstrip("_")])
            if value.shape != current.shape:
                raise ModelParameterError(f"state {name} shape", value.shape,
                                          f"{current.shape} (the array this model builds)")
            current[...] = value
        self.clock, taken = (float(x) for x in state["clock"])
        self._cache.restore(taken, np.asarray(state["g_cache"]))
        self._rng.bit_generator.state = _pcg64_state(np.asarray(state["rng"]))
        self._mvm_normals.state[...] = state["mvm_rng"]


def _pcg64_words(state: dict) -> NDArray[np.uint64]:
    """A PCG64 generator state as six uint64 words (state and increment, 128 bits each)."""
    mask = (1 << 64) - 1
    s, inc = state["state"]["state"], state["state"]["inc"]
    return np.array([s >> 64, s & mask, inc >> 64, inc & mask, state["has_uint32"],
                     state["uinteger"]], dtype=np.uint64)


def _pcg64_state(words: NDArray[np.uint64]) -> dict:
    w = [int(x) for x in words]
    return {"bit_generator": "PCG64", "state": {"state": (w[0] << 64) | w[1],
                                                "inc": (w[2] << 64) | w[3]},
            "has_uint32": w[4], "uinteger": w[5]}
