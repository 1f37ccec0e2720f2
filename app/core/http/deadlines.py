import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.http.limits import HttpLimits
from app.core.http.lingering import LingeringTransport
from app.core.http.phases import BODY, CLOSING, Phase
from app.core.observability.metrics import http_rejections


class DeadlinesProtocol(HttpToolsProtocol):
    """The timers of a connection: one for the phase it is in (head, body), one for writing to a
    client that does not read. Deadlines are counted, not logged: a flood of idle sockets must not
    flood the log. A body has two bounds on the one timer: each stall, and the whole body."""

    _limits: HttpLimits
    _phase: Phase
    transport: LingeringTransport
    _timer: asyncio.TimerHandle | None = None
    _body_ends_at: float | None = None  # None until a body outlasts the read that ended its head
    _write_timer: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, reason: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._on_timeout, reason)

    def _arm_body(self) -> None:
        """After each read that leaves a body unfinished. Its deadline is taken at the first such
        read, the one that ended its head: a body that arrives with its head reads no clock."""
        now = self.loop.time()
        if self._body_ends_at is None:
            self._body_ends_at = now + self._limits.body_deadline
        left = self._body_ends_at - now
        if left > self._limits.body_timeout:
            self._arm(self._limits.body_timeout, "body_timeout")
        else:
            self._arm(left, "body_deadline")

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cancel_timers(self) -> None:
        self._disarm()
        if self._write_timer is not None:
            self._write_timer.cancel()

    def _on_timeout(self, reason: str) -> None:
        self._timer = None
        if self._phase is BODY and self.flow.read_paused:
            # We stopped reading (the app is behind), not the client: no stall of theirs.
            self._arm(self._limits.body_timeout, reason)
            return
        http_rejections(reason).inc()
        self._phase = CLOSING
        self.transport.close_now()  # the app, if it waits for this body, sees http.disconnect

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self._limits.write_timeout, self._on_write_timeout)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _on_write_timeout(self) -> None:
        http_rejections("write_timeout").inc()
        self.transport.abort()  # what the client did not read is dropped with it
