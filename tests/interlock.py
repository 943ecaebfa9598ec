"""Test helpers around safety: a lax interlock for tests about something else, and a
transcript of what a bench writes to its instruments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drivers.safety import Interlock, SafetyLimits
from labctl.bench import Bench


def lax() -> Interlock:
    """A fresh interlock with the default limits (a setup file without a [safety] section)."""
    return Interlock(SafetyLimits())


class Transcript:
    """Every line and frame the bench writes to its three transports, from now on."""

    def __init__(self, bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[tuple[str, object]] = []
        smu, pulse = bench.smu.inner.transport, bench.pulse.inner.transport  # type: ignore[attr-defined]
        for name, owner, method in (("smu", smu, "write"), ("pulse", pulse, "write"),
                                    ("fpga", bench.fpga.port, "write")):
            monkeypatch.setattr(owner, method, self._recording(name, getattr(owner, method)))

    def _recording(self, name: str, write: Callable[[object], object]
                   ) -> Callable[[object], object]:
        def record(data: object) -> object:
            self.sent.append((name, data))
            return write(data)
        return record
