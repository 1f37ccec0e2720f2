"""One log line, two metrics and a client span per attempt to call Flow Connect.

Hand-written rather than opentelemetry-instrumentation-aiohttp-client: the span and metrics
belong to the call as the plan's client sees it, whichever HTTP library carries it.
"""

import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from opentelemetry import propagate, trace
from yarl import URL

from app.core.metrics import FLOW_CONNECT_CALLS, FLOW_CONNECT_DURATION, status_class

logger = structlog.get_logger(__name__)
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
    with _tracer.start_as_current_span(f"{method} {path}", kind=trace.SpanKind.CLIENT) as span:
        if span.is_recording():  # attributes cost their formatting; only a recorded span needs them
            span.set_attributes(
                {
                    "http.request.method": method,
                    "url.full": str(url),
                    "server.address": url.host or "",
                    "http.request.resend_count": number - 1,
                }
            )
        propagate.inject(headers)  # W3C traceparent, so Flow Connect joins the trace
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
                method=method,
                path=path,
                status=attempt.status,
                error=error,
                duration_ms=round(duration * 1000, 2),
                attempt=number,
            )
