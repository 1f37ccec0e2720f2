from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpLimits:
    """What one connection may cost: the bound of each of its states (see the README's Security
    table). Built by the launcher from `ServerSettings`."""

    max_head_bytes: int  # the head; with it, a chunked body's trailers and chunk extensions
    head_timeout: float  # waiting for a complete head, from connecting or from its first byte
    body_timeout: float  # each stall of a body (Content-Length or chunked, trailers included)
    body_deadline: float  # the whole body, from the end of its head
    write_timeout: float  # the client does not read: our write buffer stays full
    linger_timeout: float  # after an answer that ends the connection, input is read and dropped
    linger_max_bytes: int  # for at most this long and this many bytes
    max_connections: int  # open connections in any state, until their socket closes
