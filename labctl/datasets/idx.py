"""Parse IDX files (the MNIST container format), gzip-compressed or raw."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np

from labctl.datasets.errors import DatasetError

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08


def decompress(data: bytes) -> bytes:
    """Return ``data`` gunzipped if it is gzip, unchanged otherwise."""
    return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def parse_idx(data: bytes, label: str = "IDX file") -> np.ndarray:
    """Decode raw IDX bytes of unsigned bytes into a uint8 array of the declared shape."""
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != _UBYTE:
        raise DatasetError(f"{label} is not an IDX file of unsigned bytes; replace it.")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DatasetError(f"{label} has a truncated IDX header; replace it.")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise DatasetError(
            f"{label} holds {len(data)} bytes but its header declares {expected}; replace it."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
