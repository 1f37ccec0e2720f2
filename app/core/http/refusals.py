"""Answers given below the app, in our JSON shape with a request id, after which the connection
closes: what follows on it cannot be framed reliably."""

import os

import structlog

from app.core.http.deadlines import DeadlinesProtocol
from app.core.http.framing import MALFORMED, Refusal, body_too_slow
from app.core.http.phases import BODY, CLOSING, IDLE
from app.core.http.responses import raw_error_response
from app.core.observability.metrics import http_rejections

logger = structlog.get_logger(__name__)


class RefusalTally:
    """Refusals a flood causes at will (over the cap, bodies past their deadline) are each counted
    in the metric but logged as one line per reason per interval, with how many there were since
    the line before: a flood must not flood the log. One per worker, shared by its connections."""

    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self._unlogged: dict[str, int] = {}
        self._next_line: dict[str, float] = {}

    def add(self, refusal: Refusal, *, now: float) -> None:
        reason = refusal.reason
        count = self._unlogged.get(reason, 0) + 1
        if now < self._next_line.get(reason, now):
            self._unlogged[reason] = count
            return
        self._unlogged[reason] = 0
        self._next_line[reason] = now + self._interval
        logger.warning("http_requests_rejected", status=refusal.status, reason=reason, count=count)


class RefusingProtocol(DeadlinesProtocol):
    """Refuses a connection's current request, in order behind the requests before it."""

    _deferred: bytes | None  # a refusal waiting for the running request's response
    _tally: RefusalTally

    def _on_timeout(self, reason: str) -> None:
        if reason == "body_deadline" and self._phase is BODY and not self.flow.read_paused:
            self._timer = None
            self._refuse(body_too_slow(self._limits.body_deadline))  # or closes, if it has answered
            return
        super()._on_timeout(reason)

    def on_response_complete(self) -> None:
        if self._phase is CLOSING:
            if self.pipeline or self._deferred is None:
                super().on_response_complete()  # the requests before a refused one are served
            else:
                self._write_and_close(self._deferred)
            return
        if self._phase is BODY and not self.pipeline:
            # Answered before its body arrived (e.g. a 413): nothing can follow on this connection.
            self.server_state.total_requests += 1
            self.transport.close()
            return
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:  # noqa: ARG002 - uvicorn's text; ours is in MALFORMED
        self._refuse(MALFORMED)

    def _may_still_send(self) -> bool:
        """Asked as the connection starts closing, from wherever the close comes."""
        may = self._phase is not IDLE or self.flow.read_paused
        self._phase = CLOSING
        self._disarm()
        return may

    def _refuse(self, refusal: Refusal) -> None:
        """Answers below the app, then closes: what follows on this connection cannot be framed
        reliably. A request whose body was being read sees http.disconnect; behind a request still
        running (pipelined), the answer waits for that one's response, so answers stay in order."""
        if self._phase is CLOSING:
            return
        broken = self.cycle if self._phase is BODY else None
        self._phase = CLOSING
        self._disarm()
        request_id = os.urandom(16).hex()
        http_rejections(refusal.reason).inc()
        if refusal.tallied:
            self._tally.add(refusal, now=self.loop.time())
        else:
            logger.warning("http_request_rejected", status=refusal.status, reason=refusal.reason, request_id=request_id)
        answer = raw_error_response(refusal.status, refusal.message, request_id=request_id)
        if broken is not None:
            broken.disconnected = True
            broken.message_event.set()
            queued = [entry for entry in self.pipeline if entry[0] is not broken]
            if len(queued) < len(self.pipeline):  # it was waiting behind another: that one runs on
                self.pipeline.clear()
                self.pipeline.extend(queued)
                self._deferred = answer
                return
            if broken.response_started:  # it has answered already (e.g. 413): nothing may follow
                self.transport.linger()
                return
        elif self.cycle is not None and not self.cycle.response_complete:
            self._deferred = answer
            return
        self._write_and_close(answer)

    def _write_and_close(self, answer: bytes) -> None:
        self._deferred = None
        self.transport.write(answer)
        self.transport.linger()
