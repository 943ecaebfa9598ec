"""The user guide and the API reference build with no warning (``make docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_build_strictly(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text()
    assert "ProgramReport" in api and "open_bench" in api


def test_every_public_name_of_the_api_is_documented() -> None:
    import griffe

    api = griffe.load("labctl.api", search_paths=[str(ROOT)])
    missing = []
    for name, member in api.members.items():
        if name.startswith("_") or member.is_alias:
            continue
        if not member.docstring:
            missing.append(name)
        if member.is_class:
            missing += [f"{name}.{attr}" for attr, sub in member.members.items()
                        if not attr.startswith("_") and not sub.docstring]
    assert not missing, f"no docstring: {', '.join(missing)}"
