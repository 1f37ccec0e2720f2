"""uvicorn's httptools protocol with the limits a public edge needs.

httptools reads a request head of any size (and joins it in chunks, so its cost grows with the
square of the size) and uvicorn only times out idle keep-alive connections. This subclass keeps
the fast parser and adds: a cap on the request head (431), a deadline for the head and for
each stall of the body, and a cap on open connections per worker (503). uvicorn's h11 protocol
has a head cap but no head deadline and a slower parser; this is one class over the fast one.
"""

import asyncio
import os
from dataclasses import dataclass
from typing import Any

import structlog
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.core.http.responses import error_body
from app.core.observability.metrics import http_rejections
from app.errors.classification import BAD_REQUEST

logger = structlog.get_logger(__name__)


# Seconds a rejected client's further input is read and dropped before the connection closes.
LINGER_SECONDS = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpLimits:
    max_head_bytes: int
    head_timeout: float
    body_timeout: float
    max_connections: int


class BoundedHttpProtocol(HttpToolsProtocol):
    """Serves one connection; `limits` comes in through `functools.partial`, which is
    picklable, so uvicorn can hand the protocol to worker processes."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: HttpLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = limits
        self._in_head = True
        self._head_began_in_chunk = False
        self._head_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._lingering = False
        self._deferred: bytes | None = None  # a refusal waiting for the running request's response

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Counted after super() added us, so `max_connections` are served and the next is refused.
        if len(self.connections) > self._limits.max_connections:
            self._reject(503, "The server has too many open connections; retry shortly.", reason="connections")
            return
        self._arm(self._limits.head_timeout, reason="head_timeout")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._is_done():
            return  # after a rejection: read and dropped, so the close cannot reset our answer
        self._head_began_in_chunk = False
        super().data_received(data)
        if self._is_done():
            return
        if self._in_head:
            # Bytes of a head that began earlier all belong to it; a head that began in this chunk
            # is checked whole in on_headers_complete, so each chunk is parsed once at most.
            if not self._head_began_in_chunk:
                self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_head_bytes:
                self._reject_head()
        elif self.cycle is not None and self.cycle.more_body:
            # The body moved: a fresh deadline (after an early answer too, e.g. a 413 mid-upload).
            self._arm(self._limits.body_timeout, reason="body_timeout")
        elif self._timer is None and (self.cycle is None or self.cycle.response_complete):
            # Bytes between requests that start none (empty lines): they must not keep the
            # connection open, having cancelled uvicorn's keep-alive timer.
            self._arm(self._limits.head_timeout, reason="head_timeout")

    # The parser goes on through its chunk after a rejection made in one of its callbacks;
    # every callback below then does nothing.

    def on_message_begin(self) -> None:
        if self._is_done():
            return
        super().on_message_begin()
        self._in_head = True
        self._head_began_in_chunk = True
        self._head_bytes = 0
        self._arm(self._limits.head_timeout, reason="head_timeout")

    def on_headers_complete(self) -> None:
        if self._is_done():
            return
        self._in_head = False
        self._disarm()
        head_bytes = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if head_bytes > self._limits.max_head_bytes:
            self._reject_head()
            return
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._arm(self._limits.body_timeout, reason="body_timeout")

    def on_body(self, body: bytes) -> None:
        if not self._is_done():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._is_done():
            self._disarm()
            super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._is_done():
            self._reject(400, msg, reason="malformed_http")

    def _is_done(self) -> bool:
        return self._lingering or self.transport.is_closing()

    def _reject_head(self) -> None:
        self._reject(431, f"The request head exceeds {self._limits.max_head_bytes} bytes.", reason="head_too_large")

    def _arm(self, seconds: float, *, reason: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._on_timeout, reason)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timeout(self, reason: str) -> None:
        self._timer = None
        if self._is_done():
            return
        if reason == "body_timeout" and self.flow.read_paused:
            # We stopped reading (the app is behind), not the client: no stall of theirs.
            self._arm(self._limits.body_timeout, reason=reason)
            return
        http_rejections(reason).inc()  # counted, not logged: a flood of idle sockets must not flood the log
        if self.cycle is not None and self.cycle.response_complete:
            self._linger()  # answered already (e.g. 413 mid-upload): let the answer reach the client
            return
        if self.cycle is not None:
            self.cycle.disconnected = True  # the app sees http.disconnect, not a hang
        self.transport.close()

    def on_response_complete(self) -> None:
        if self._deferred is not None:  # a pipelined request was refused while this one ran
            self._answer_and_close(self._deferred)
            return
        super().on_response_complete()

    def _reject(self, status: int, message: str, *, reason: str) -> None:
        """Answers before the app sees the request, then closes: what follows on this connection
        cannot be framed reliably. Behind a request still running (pipelined), the answer waits
        for that one's response, so each client request gets its own answer in order."""
        self._disarm()
        request_id = os.urandom(16).hex()
        http_rejections(reason).inc()
        client = _client_host(self.client)
        logger.warning("http_request_rejected", status=status, reason=reason, request_id=request_id, client=client)
        # A refused connection no longer counts against the cap while it lingers.
        self.connections.discard(self)
        answer = raw_error_response(status, message, request_id=request_id)
        if self.cycle is not None and not self.cycle.response_complete:
            self._deferred = answer
            self._lingering = True  # read and drop what follows meanwhile
            return
        self._answer_and_close(answer)

    def _answer_and_close(self, answer: bytes) -> None:
        self._deferred = None
        if self.transport.is_closing():  # the running request asked to close: nothing may follow
            return
        self.transport.write(answer)
        self._linger()

    def _linger(self) -> None:
        """Closing with unread input would reset the connection and could destroy the answer on
        its way; so the answer goes out with a FIN and what the client still sends is dropped
        for a moment before closing (nginx's lingering close)."""
        self._disarm()
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._lingering = True
        self._timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def raw_error_response(status: int, message: str, *, request_id: str) -> bytes:
    """A complete HTTP/1.1 response in our error shape, for answers given below the app."""
    body = error_body(message, code=BAD_REQUEST, request_id=request_id)
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


_REASONS = {400: "Bad Request", 431: "Request Header Fields Too Large", 503: "Service Unavailable"}


def _client_host(client: tuple[str, int] | None) -> str | None:
    return client[0] if client else None
