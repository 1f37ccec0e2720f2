import enum


class Phase(enum.Enum):
    """Where a connection is; each phase has its bound (see `protocol.py`)."""

    IDLE = enum.auto()  # no request begun: waiting for a head, or idle keep-alive
    HEAD = enum.auto()
    BODY = enum.auto()  # trailers included
    UPGRADE = enum.auto()  # a head with `Upgrade`, to be parsed again without it
    CLOSING = enum.auto()  # refused or lingering: input is dropped


# Module names for the members: the per-chunk checks compare against globals, not attributes.
IDLE, HEAD, BODY, UPGRADE, CLOSING = Phase
