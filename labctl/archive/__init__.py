"""Run archives: one HDF5 file per run, layout in ``labctl.archive.schema``."""

from labctl.archive.errors import ArchiveError
from labctl.archive.reader import Archive
from labctl.archive.writer import ArchiveWriter

__all__ = ["Archive", "ArchiveError", "ArchiveWriter"]
