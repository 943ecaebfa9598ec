"""Typed errors of the bench: every one carries a message that names the problem and the fix.

``LabError`` is the root of every error labctl raises on purpose; the CLI turns it into one
line and a non-zero exit. The simulation (``mock_hw``) has its own root, since it sits below.
"""


class LabError(Exception):
    """Base class of every deliberate labctl error."""


class ConfigError(LabError):
    """A configuration or setup file, or a command-line option, is invalid."""


class SafetyLimitError(LabError):
    """A request exceeds the setup's safety limits; nothing was sent to the instrument."""
