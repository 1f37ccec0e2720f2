"""uvicorn's httptools protocol with a bound for every state of a connection.

A connection is in one phase at a time, each with its deadline, and it counts against the cap
until its socket closes: IDLE (waiting for a head: `head_timeout` from connecting, then uvicorn's
keep-alive timeout), HEAD (`head_timeout` from its first byte, `max_head_bytes`), BODY (each stall
`body_timeout`, the whole body `body_deadline` from the end of its head; chunk extensions and
trailers count with the head against `max_head_bytes`), CLOSING (lingering: `linger_timeout`,
`linger_max_bytes`). Writing to a client that does not read has `write_timeout`. At the cap, the
connection idle longest in keep-alive is closed to make room; only when none is idle is the newcomer
refused. The app's own work between a complete request and its answer is bounded by the
app. Every answer given here is in our JSON shape with a request id, then the connection closes.
"""

import asyncio
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.core.http.framing import (
    CHUNK_FRAMING_BYTES,
    MALFORMED,
    OVER_CAP,
    UPGRADE_REFUSED,
    check_head,
    framing_too_large,
    head_too_large,
    trailers_too_large,
)
from app.core.http.idle import close_longest_idle
from app.core.http.limits import HttpLimits
from app.core.http.lingering import LingeringTransport
from app.core.http.phases import BODY, CLOSING, HEAD, IDLE, UPGRADE
from app.core.http.refusals import RefusalTally, RefusingProtocol
from app.core.http.upgrade import UpgradeReplay
from app.core.observability.metrics import http_rejections


class BoundedHttpProtocol(UpgradeReplay, RefusingProtocol):
    """Serves one connection; `limits` and the worker's `tally` come in through `functools.partial`,
    which is picklable, so uvicorn can hand the protocol to worker processes (each its own tally)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: HttpLimits,
        tally: RefusalTally,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = limits
        self._tally = tally
        self._phase = IDLE
        self._head_began_in_chunk = False
        self._head_bytes = 0
        self._framing_bytes = 0  # of a body: what arrived minus its payload (chunk lines, trailers)
        self._deferred = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        limits = self._limits
        lingering = LingeringTransport(
            transport,
            loop=self.loop,
            may_still_send=self._may_still_send,
            timeout=limits.linger_timeout,
            max_bytes=limits.linger_max_bytes,
        )
        super().connection_made(lingering)
        # Counted after super() added us, so `max_connections` are served and the next is refused;
        # a refused one still counts while it lingers, and past twice the cap none lingers.
        open_now = len(self.connections)
        if open_now > 2 * limits.max_connections:
            http_rejections("connections").inc()
            transport.close()
        elif open_now > limits.max_connections and not close_longest_idle(self.connections):
            self._refuse(OVER_CAP)
        else:
            self._arm(limits.head_timeout, "head_timeout")

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        self.transport.forget()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        phase = self._phase
        if phase is CLOSING:
            self.transport.drop(len(data))
            return
        self._unset_keepalive_if_required()
        if phase is BODY:
            self._framing_bytes += len(data)
        self._head_began_in_chunk = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self._replay_without_upgrade(data[upgrade.args[0] :])
        except httptools.HttpParserError:
            self._refuse(MALFORMED)
        self._bound(len(data))

    def _bound(self, received: int) -> None:
        """After each chunk, whatever phase it left: the bound of that phase."""
        phase = self._phase
        if phase is HEAD:
            # Bytes of a head that began earlier all belong to it; a head that began in this chunk
            # is checked whole in on_headers_complete, so each chunk is parsed once at most.
            if not self._head_began_in_chunk:
                self._head_bytes += received
            if self._head_bytes > self._limits.max_head_bytes:
                self._refuse(head_too_large(self._limits.max_head_bytes))
            elif self._timer is None:
                self._arm(self._limits.head_timeout, "head_timeout")
        elif phase is BODY:
            if self._framing_bytes > self._limits.max_head_bytes:
                self._refuse(framing_too_large(self._limits.max_head_bytes))
            else:  # the body moved: a fresh stall deadline for its next bytes, within the body's
                self._arm_body()
        elif phase is IDLE and self._timer is None and (self.cycle is None or self.cycle.response_complete):
            # Bytes between requests that start none (empty lines): they must not keep the
            # connection open, having cancelled uvicorn's keep-alive timer.
            self._arm(self._limits.head_timeout, "head_timeout")

    # The parser goes on through its chunk after a refusal made in one of its callbacks;
    # every callback below then does nothing.

    def on_message_begin(self) -> None:
        if self._phase is CLOSING:
            return
        super().on_message_begin()
        self._phase = HEAD
        self._head_began_in_chunk = True
        self._head_bytes = 0
        if self._timer is not None:  # the head's deadline runs from its first byte
            self._disarm()

    def on_headers_complete(self) -> None:
        if self._phase is not HEAD:
            return
        self._disarm()
        limits = self._limits
        size, refusal = check_head(
            self.url, self.headers, max_head_bytes=limits.max_head_bytes, http_version=self.parser.get_http_version
        )
        if refusal is not None:
            self._refuse(refusal)
            return
        if self.parser.should_upgrade():
            self._phase = UPGRADE
            if not self.keep_for_replay():  # the head came back with its upgrade (CONNECT)
                self._refuse(UPGRADE_REFUSED)
            return
        self._phase = BODY
        self._head_bytes = self._framing_bytes = size
        self._body_ends_at = None
        super().on_headers_complete()
        # Trailers reach on_header too: they go to this list, not to the request's headers.
        self.headers = []

    def on_chunk_header(self) -> None:
        self._framing_bytes = max(self._framing_bytes - CHUNK_FRAMING_BYTES, self._head_bytes)

    def on_body(self, body: bytes) -> None:
        if self._phase is BODY:
            self._framing_bytes -= len(body)
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._phase is not BODY:
            return
        if self.headers and trailers_too_large(self.headers, self._head_bytes, self._limits.max_head_bytes):
            # Exact even when they came in one read with the head, which the byte count cannot see.
            self._refuse(framing_too_large(self._limits.max_head_bytes))
            return
        self._phase = IDLE
        self._disarm()
        super().on_message_complete()

    def _replay_without_upgrade(self, rest: bytes) -> None:
        try:
            self.replay_without_upgrade(rest)
        except httptools.HttpParserError:
            self._refuse(MALFORMED)
