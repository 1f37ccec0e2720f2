"""One log line, two metrics and a client span per attempt to call Flow Connect.

Hand-written rather than opentelemetry-instrumentation-aiohttp-client: the span and metrics
belong to the call as the plan's client sees it, whichever HTTP library carries it.
"""

import logging
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from opentelemetry import propagate, trace
from yarl import URL

from app.core.metrics import FLOW_CONNECT_CALLS, FLOW_CONNECT_DURATION, status_class

logger = structlog.get_logger(__name__)
# structlog renders through the standard library (`app.core.logging`), whose level decides.
_stdlib_logger = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)


@dataclass
class Attempt:
    number: int
    status: int | None = None


@contextmanager
def observed_attempt(method: str, url: URL, headers: MutableMapping[str, str], number: int) -> Iterator[Attempt]:
    """Wraps one attempt; the caller sets `status` once a response arrived."""
    attempt = Attempt(number=number)
    path = url.path
    started = time.perf_counter()
    # Started, not made current: nothing runs under it but the HTTP exchange, and attaching
    # and detaching a context per call cost more than the span itself when tracing is off.
    span = _tracer.start_span(f"{method} {path}", kind=trace.SpanKind.CLIENT)
    if span.is_recording():  # attributes cost their formatting; only a recorded span needs them
        span.set_attributes(
            {
                "http.request.method": method,
                "url.full": str(url),
                "server.address": url.host or "",
                "http.request.resend_count": number - 1,
            }
        )
    if span.get_span_context().is_valid:  # no trace (tracing off): nothing to propagate
        # W3C traceparent, so Flow Connect joins the trace under this span.
        propagate.inject(headers, context=trace.set_span_in_context(span))
    error: str | None = None
    try:
        yield attempt
    except Exception as exc:
        error = type(exc).__name__
        span.record_exception(exc)
        span.set_status(trace.StatusCode.ERROR, error)
        raise
    finally:
        duration = time.perf_counter() - started
        outcome = status_class(attempt.status)
        FLOW_CONNECT_CALLS.labels(outcome).inc()
        FLOW_CONNECT_DURATION.labels(outcome).observe(duration)
        if attempt.status is not None:
            span.set_attribute("http.response.status_code", attempt.status)
        span.end()
        if _stdlib_logger.isEnabledFor(logging.INFO):  # skips building the event below LOG_LEVEL
            logger.info(
                "flow_connect_call",
                method=method,
                path=path,
                status=attempt.status,
                error=error,
                duration_ms=round(duration * 1000, 2),
                attempt=number,
            )
