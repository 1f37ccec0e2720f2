from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from app.core.config.base import BASE_SETTINGS_CONFIG


class ServerSettings(BaseSettings):
    """Where `python -m app` listens; read by the launcher only, not by the app."""

    model_config = BASE_SETTINGS_CONFIG

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    web_concurrency: Annotated[int, Field(ge=1, le=64)] = 1
    # Seconds in-flight requests get to finish after SIGTERM before they are cut.
    graceful_shutdown_timeout: Annotated[int, Field(ge=1, le=600)] = 30
    # Seconds an idle client connection stays open. Longer than the idle timeout of the load
    # balancers in front (60 s is common), so it is never us who closes a connection a client is
    # reusing at that instant: that race loses the request.
    keep_alive_timeout: Annotated[int, Field(ge=1, le=3600)] = 75
    # The whole request head (request line and headers); a longer one gets 431 and is not read on.
    http_max_header_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 16 * 1024
    # Seconds a client has to send a complete request head, from connecting or from its first byte.
    http_header_timeout: Annotated[float, Field(gt=0, le=600)] = 10.0
    # Seconds a request body may stall (no new bytes; a chunked body's trailers included) before
    # the connection is cut.
    http_body_timeout: Annotated[float, Field(gt=0, le=600)] = 10.0
    # Seconds a whole request body (chunked: its extensions and trailers too) may take from the end
    # of its head, however steadily it drips: a byte per stall would hold a connection forever.
    # 60 s fits a 64 KiB body (GRAPHQL_MAX_BODY_BYTES) at about 9 kbit/s, a poor mobile link.
    http_body_deadline: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # Seconds our write buffer may stay full (a client that does not read what it asked for)
    # before the connection is dropped; a slow reader that keeps reading is never cut.
    http_write_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    # After an answer that ends a connection while the client may still be sending (413, 431,
    # 400, 503), its input is read and dropped for up to this many seconds and bytes, so the
    # answer is not destroyed by a reset (nginx's lingering close); then the socket closes.
    http_linger_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    http_linger_max_bytes: Annotated[int, Field(ge=0, le=1024 * 1024 * 1024)] = 16 * 1024 * 1024
    # Open client connections per worker, in any state until their socket closes; more are
    # answered 503 (and past twice this many closed unanswered), so no state of a connection can
    # take the process to its file-descriptor limit.
    http_max_connections: Annotated[int, Field(ge=1, le=100_000)] = 512

    @model_validator(mode="after")
    def _body_deadline_covers_a_stall(self) -> Self:
        if self.http_body_deadline < self.http_body_timeout:
            msg = "HTTP_BODY_DEADLINE must be at least HTTP_BODY_TIMEOUT"
            raise ValueError(msg)
        return self
