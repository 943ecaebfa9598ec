"""Typed errors of the bench: every one carries a message that names the problem and the fix.

``LabError`` is the root of every error labctl raises on purpose; the CLI turns it into one
line and a non-zero exit. The simulation (``mock_hw``) has its own root, since it sits below.
"""


class LabError(Exception):
    """Base class of every deliberate labctl error."""


class ConfigError(LabError):
    """A configuration or setup file, or a command-line option, is invalid."""


class SafetyError(LabError):
    """A request exceeds a safety limit of the bench; nothing of it was sent.

    Carries the terminal (``bit_line``, ``source_line``, ``gate``, ``smu``, ``pulse``,
    ``compliance``, ``pulse_width``), the requested value and the limit it breaks, in SI units.
    """

    def __init__(self, terminal: str, value: float, limit: float, message: str) -> None:
        super().__init__(message)
        self.terminal = terminal
        self.value = value
        self.limit = limit


class InstrumentError(LabError):
    """The instrument's error queue reported an error after a command we sent."""

    def __init__(self, instrument: str, code: int, message: str) -> None:
        super().__init__(
            f"{instrument} reported error {code}: {message}; check the command and the "
            "instrument's state (its manual lists the code)"
        )
        self.instrument = instrument
        self.code = code
        self.message = message


class InstrumentTimeout(LabError):  # noqa: N818 - the name the lab uses
    """The instrument did not answer within the transport timeout."""

    def __init__(self, resource: str, timeout: float) -> None:
        super().__init__(
            f"{resource} did not answer within {timeout:g} s; check that it is powered, "
            "connected and addressed, or raise the timeout in the setup"
        )
        self.resource = resource
        self.timeout = timeout


class GarbledReply(LabError):  # noqa: N818 - the name the lab uses
    """The instrument answered something that is not what the query returns."""

    def __init__(self, resource: str, query: str, reply: str, expected: str) -> None:
        shown = reply if len(reply) <= 60 else reply[:57] + "..."
        super().__init__(
            f"{resource} answered {query!r} with {shown!r}, not {expected}; check the cable "
            "and that no other program talks to the instrument, then retry"
        )
        self.resource = resource
        self.query = query
        self.reply = reply


class ConnectionLost(LabError):  # noqa: N818 - the name the lab uses
    """The connection to an instrument broke: reconnect gave up, or a reply was lost."""

    def __init__(self, resource: str, cause: str) -> None:
        super().__init__(
            f"lost {resource}: {cause}; check the cable or network and that no other "
            "program holds the instrument"
        )
        self.resource = resource
        self.cause = cause


class NotAnswering(LabError):  # noqa: N818 - the name the lab uses
    """Nothing has ever answered at a resource: the instrument is off, or the address is wrong."""

    def __init__(self, resource: str, cause: str) -> None:
        super().__init__(
            f"nothing answers at {resource} ({cause}): is the instrument (or labctl mock-server) "
            "on, and is the address in the setup file right?"
        )
        self.resource = resource
        self.cause = cause


class IdentityMismatch(LabError):  # noqa: N818 - the name the lab uses
    """The instrument at a resource is not the model the driver speaks to."""

    def __init__(self, resource: str, expected: str, identity: str) -> None:
        super().__init__(
            f"{resource} answered *IDN? with {identity!r}, not a {expected}; point the setup "
            "at the right resource or choose the matching driver model"
        )
        self.resource = resource
        self.expected = expected
        self.identity = identity
