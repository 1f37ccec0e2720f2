"""One log line, two metrics and a client span per attempt to call Flow Connect.

Hand-written rather than opentelemetry-instrumentation-httpx: that library hooks httpx's
transports, and the span must stay the same whichever transport the shared client uses.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import structlog
from opentelemetry import propagate, trace

from app.core.metrics import FLOW_CONNECT_CALLS, FLOW_CONNECT_DURATION, status_class

logger = structlog.get_logger(__name__)
_tracer = trace.get_tracer(__name__)


@dataclass
class Attempt:
    number: int
    status: int | None = None


@contextmanager
def observed_attempt(request: httpx.Request, number: int) -> Iterator[Attempt]:
    """Wraps one attempt; the caller sets `status` once a response arrived."""
    attempt = Attempt(number=number)
    path = request.url.path
    started = time.perf_counter()
    with _tracer.start_as_current_span(
        f"{request.method} {path}",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "http.request.method": request.method,
            "url.full": str(request.url),
            "server.address": request.url.host,
            "http.request.resend_count": number - 1,
        },
    ) as span:
        propagate.inject(request.headers)  # W3C traceparent, so Flow Connect joins the trace
        error: str | None = None
        try:
            yield attempt
        except Exception as exc:
            error = type(exc).__name__
            raise
        finally:
            duration = time.perf_counter() - started
            outcome = status_class(attempt.status)
            FLOW_CONNECT_CALLS.labels(outcome).inc()
            FLOW_CONNECT_DURATION.labels(outcome).observe(duration)
            if attempt.status is not None:
                span.set_attribute("http.response.status_code", attempt.status)
            logger.info(
                "flow_connect_call",
                method=request.method,
                path=path,
                status=attempt.status,
                error=error,
                duration_ms=round(duration * 1000, 2),
                attempt=number,
            )
