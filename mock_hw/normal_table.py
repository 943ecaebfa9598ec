"""Cheap seeded standard-normal draws by table inverse-CDF, for crossbar output noise.

A crossbar product needs one fresh normal per output current, so a batch of 100 products on
a 128-column tile needs 12,800 draws per call; numpy's ziggurat sampler costs about twice
the matrix product itself. Inverting the normal CDF by table lookup costs one 16-bit word
of generator output and one load per draw instead.

The table holds the 2**16 normal quantiles at probabilities (k + 1/2) / 2**16, rescaled to
unit variance, so a uniformly random 16-bit index gives a symmetric, zero-mean, unit-variance
variable whose CDF matches the normal one to about 1e-5 everywhere; its tails stop at
4.3 sigma (a normal exceeds that with probability 1.5e-5), far beyond what read-noise
statistics resolve.

The words come from numpy's SFC64 algorithm run inside a compiled loop (numba) on a state
seeded like ``numpy.random.SFC64(seed)``: draw k uses 16-bit word k % 4 (least significant
first) of that generator's raw output k // 4, exactly as if its ``random_raw`` output were
viewed as little-endian uint16, so draws are seeded, deterministic and checkable against
numpy. A call that needs a number of draws not divisible by four discards the rest of its
last word.
"""

from __future__ import annotations

import functools
import statistics

import numba
import numpy as np
from numpy.typing import NDArray

_INDEX_BITS = 16
_WORDS_PER_RAW = 64 // _INDEX_BITS


@functools.cache
def quantile_table(dtype: type[np.floating] = np.float32) -> NDArray[np.floating]:
    """The 2**16 unit-variance normal quantiles the sampler looks up (read-only)."""
    size = 1 << _INDEX_BITS
    inv_cdf = statistics.NormalDist().inv_cdf
    q = np.array([inv_cdf((k + 0.5) / size) for k in range(size)])
    table = (q / np.sqrt(np.mean(q * q))).astype(dtype)
    table.flags.writeable = False
    return table


class TableNormalSampler:
    """Standard-normal draws of one float dtype from a seeded SFC64 stream, by table lookup."""

    def __init__(self, seed: int | np.random.SeedSequence,
                 dtype: type[np.floating] = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        self._table = quantile_table(self.dtype.type)
        self.state = np.array(np.random.SFC64(seed).state["state"]["state"], dtype=np.uint64)
        """SFC64 words a, b, c and counter, as numpy keeps them (a checkpoint may copy it)."""

    def fill(self, out: NDArray[np.floating]) -> NDArray[np.floating]:
        """Fill ``out`` (C-contiguous, of this sampler's dtype, any shape) and return it."""
        if out.dtype != self.dtype or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous {self.dtype} array, "
                             f"got {out.dtype} with C-contiguous={out.flags.c_contiguous}")
        _fill(self._table, self.state, out.reshape(-1))
        return out


@numba.njit(cache=True)
def _fill(table: NDArray[np.floating], state: NDArray[np.uint64],
          out: NDArray[np.floating]) -> None:
    """out[k] = table[word k of the SFC64 stream in ``state``]; advances ``state``."""
    a, b, c, counter = state[0], state[1], state[2], state[3]
    mask = np.uint64((1 << _INDEX_BITS) - 1)
    n = out.size
    for start in range(0, n, _WORDS_PER_RAW):
        raw = a + b + counter
        counter += np.uint64(1)
        a = b ^ (b >> np.uint64(11))
        b = c + (c << np.uint64(3))
        c = ((c << np.uint64(24)) | (c >> np.uint64(40))) + raw
        for word in range(min(_WORDS_PER_RAW, n - start)):
            out[start + word] = table[(raw >> np.uint64(_INDEX_BITS * word)) & mask]
    state[0], state[1], state[2], state[3] = a, b, c, counter
