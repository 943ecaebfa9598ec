"""Which layers live on the bench's chip and which on its digital twin (``--placement``).

``auto`` places whole layers, output first, while they fit the chip's arrays (packed as
``labctl.learning.mapping`` packs them); ``all`` every layer, or says how many arrays that
needs; ``none`` no layer; ``fc2`` or ``fc1,fc2`` the layers named.
"""

from __future__ import annotations

import re

from drivers.errors import ConfigError
from labctl.learning.mapping import arrays_needed

PLACEMENT = re.compile(r"auto|all|none|fc\d+(,fc\d+)*")
"""What ``--placement`` accepts."""


def check_placement(spec: str, layers: list[str]) -> None:
    """ConfigError unless ``spec`` is auto, all, none or a list of ``layers``' names."""
    if not PLACEMENT.fullmatch(spec):
        raise ConfigError(f"invalid --placement {spec!r}: give auto, all, none or layer names "
                          f"such as {layers[-1]} or {','.join(layers[-2:])}")
    unknown = [name for name in spec.split(",") if name.startswith("fc") and name not in layers]
    if unknown:
        raise ConfigError(f"invalid --placement: the network has no layer {unknown[0]}; its "
                          f"layers are {', '.join(layers)}")


def on_chip(spec: str, shapes: dict[str, tuple[int, int]], rows: int, cols: int,
            tiles: int) -> list[str]:
    """The layers ``spec`` puts on a chip of ``tiles`` arrays of rows x cols, in network
    order; ConfigError if the layers it names do not fit."""
    check_placement(spec, list(shapes))
    if spec == "none":
        return []
    if spec == "auto":
        chosen: list[str] = []
        for name in reversed(shapes):
            trial = [n for n in shapes if n in (*chosen, name)]
            if arrays_needed({n: shapes[n] for n in trial}, rows, cols) > tiles:
                break
            chosen = trial
        return chosen
    names = list(shapes) if spec == "all" else spec.split(",")
    names = [n for n in shapes if n in names]
    needed = arrays_needed({n: shapes[n] for n in names}, rows, cols)
    if needed > tiles:
        raise ConfigError(f"--placement {spec}: {', '.join(names)} need {needed} arrays of "
                          f"{rows}x{cols} cells but the chip has {tiles}; --placement auto "
                          "places the layers that fit and the rest on the digital twin")
    return names
