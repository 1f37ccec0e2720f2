"""One log line, two metrics and a client span per attempt to call Flow Connect, each named by
the call's route template (`DELETE /connections/requests/{id}`), never by its path: a name with
ids in it would make a new series, span name or log value per id.

Hand-written rather than opentelemetry-instrumentation-aiohttp-client: the span and metrics
belong to the call as the plan's client sees it, whichever HTTP library carries it.
"""

import time
from collections.abc import MutableMapping
from types import TracebackType
from typing import Self

from opentelemetry import propagate, trace
from yarl import URL

from app.core.observability.logging import CanonicalLine
from app.core.observability.metrics import flow_connect_calls, flow_connect_duration, status_class

_call_line = CanonicalLine(__name__, "flow_connect_call")
_tracer = trace.get_tracer(__name__)


class ObservedAttempt:
    """Wraps one attempt (`with ObservedAttempt(...) as attempt:`); the caller sets
    `attempt.status` once a response arrived. A class rather than a generator-based context
    manager: it runs twice per mutation and the generator machinery cost more than its work."""

    __slots__ = ("_headers", "_method", "_name", "_number", "_route", "_span", "_started", "_url", "status")

    def __init__(self, method: str, route: str, url: URL, headers: MutableMapping[str, str], number: int) -> None:
        self._method = method
        self._route = route
        self._name = f"{method} {route}"
        self._url = url
        self._headers = headers
        self._number = number
        self._started = 0.0
        self._span: trace.Span = trace.INVALID_SPAN
        self.status: int | None = None

    def __enter__(self) -> Self:
        self._started = time.perf_counter()
        # Started, not made current: nothing runs under it but the HTTP exchange, and attaching
        # and detaching a context per call cost more than the span itself when tracing is off.
        span = self._span = _tracer.start_span(self._name, kind=trace.SpanKind.CLIENT)
        if span.is_recording():  # attributes cost their formatting; only a recorded span needs them
            span.set_attributes(
                {
                    "http.request.method": self._method,
                    "url.template": self._route,
                    "url.full": str(self._url),
                    "server.address": self._url.host or "",
                    "http.request.resend_count": self._number - 1,
                }
            )
        if span.get_span_context().is_valid:  # no trace (tracing off): nothing to propagate
            # W3C traceparent, so Flow Connect joins the trace under this span.
            propagate.inject(self._headers, context=trace.set_span_in_context(span))
        return self

    def __exit__(
        self, _type: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        duration = time.perf_counter() - self._started
        span = self._span
        if isinstance(error, Exception):
            span.record_exception(error)
            span.set_status(trace.StatusCode.ERROR, type(error).__name__)
        outcome = status_class(self.status)
        flow_connect_calls(self._name, outcome).inc()
        flow_connect_duration(self._name, outcome).observe(duration)
        if self.status is not None:
            span.set_attribute("http.response.status_code", self.status)
        span.end()
        if _call_line.enabled():
            _call_line(
                method=self._method,
                route=self._route,
                status=self.status,
                # CancelledError too: the caller's deadline ended this attempt.
                error=type(error).__name__ if error is not None else None,
                duration_ms=round(duration * 1000, 2),
                attempt=self._number,
            )
