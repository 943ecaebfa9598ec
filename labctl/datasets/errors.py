"""The dataset error: raised when a dataset file is missing, corrupt or malformed."""

from drivers.errors import LabError


class DatasetError(LabError):
    """A dataset file could not be found, or its content is not what it must be."""
