"""Errors of the archive layer."""

from drivers.errors import LabError


class ArchiveError(LabError):
    """A file is not a readable labctl archive, or an archive operation failed."""
