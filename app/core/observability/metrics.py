"""Prometheus metrics; `/metrics` serves them, aggregated across workers when there are several.

With WEB_CONCURRENCY > 1, `python -m app` sets PROMETHEUS_MULTIPROC_DIR before any worker
imports prometheus_client, so every worker writes its samples there and any of them can
answer a scrape with the sum.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

# `*_created` series double the output and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Our calls are sub-second when healthy and bounded by FLOW_CONNECT_API_TIMEOUT when not.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

GRAPHQL_REQUESTS = Counter(
    "flow_api_graphql_requests_total",
    "GraphQL operations handled, by operation and outcome (OK or the first error code).",
    ["operation_type", "operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "flow_api_graphql_request_duration_seconds",
    "Time to handle a GraphQL operation.",
    ["operation_type", "operation"],
    buckets=_BUCKETS,
)
FLOW_CONNECT_CALLS = Counter(
    "flow_api_flow_connect_requests_total",
    "Attempts to call Flow Connect, by route template and status class (2xx, 4xx, 5xx, error: no status came back).",
    ["route", "status_class"],
)
FLOW_CONNECT_DURATION = Histogram(
    "flow_api_flow_connect_request_duration_seconds",
    "Time of one attempt to call Flow Connect, by route template and status class.",
    ["route", "status_class"],
    buckets=_BUCKETS,
)
# Per-request series looked up once each: `labels()` validates and takes a lock on every call,
# and a child, once created, lives as long as its metric. Label values are bounded (see callers).
graphql_requests = cache(GRAPHQL_REQUESTS.labels)
graphql_duration = cache(GRAPHQL_DURATION.labels)
flow_connect_calls = cache(FLOW_CONNECT_CALLS.labels)
flow_connect_duration = cache(FLOW_CONNECT_DURATION.labels)

JWKS_REFRESHES = Counter(
    "flow_api_jwks_refreshes_total",
    "Fetches of the WorkOS signing keys, by result.",
    ["result"],
)


def status_class(status: int | None) -> str:
    return "error" if status is None else f"{status // 100}xx"


async def metrics_endpoint(_: Request) -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


HTTP_REJECTIONS = Counter(
    "flow_api_http_rejections_total",
    "Connections answered or closed below the app: head_too_large, framing_too_large (chunk extensions and "
    "trailers), malformed_http, host, transfer_coding, connections, and the deadlines head_timeout, "
    "body_timeout, write_timeout.",
    ["reason"],
)
http_rejections = cache(HTTP_REJECTIONS.labels)

RATE_LIMITED = Counter(
    "flow_api_rate_limited_total", "Requests refused by a rate limit, by scope (user, org).", ["scope"]
)
IDEMPOTENCY = Counter(
    "flow_api_idempotency_total",
    "Requests that carried an Idempotency-Key, by outcome (stored, replayed, in_use, reused, not_stored).",
    ["outcome"],
)
SHARED_STATE_FAILURES = Counter(
    "flow_api_shared_state_failures_total",
    "Calls to the shared store (Redis) that failed, by what made them (rate_limits, idempotency).",
    ["store"],
)
UNTRUSTED_OPERATIONS = Counter(
    "flow_api_untrusted_operations_total",
    "Documents not in the trusted-documents manifest, by what happened (refused in enforce mode, allowed in log mode).",
    ["action"],
)

# The Flow Connect circuit breaker (app.core.flow_connect_api.breaker). With several workers the
# state shown is the worst worker's: one open breaker is worth a look.
FLOW_CONNECT_BREAKER_STATE = Gauge(
    "flow_api_flow_connect_breaker_state",
    "State of the Flow Connect circuit breaker: 0 closed, 1 half-open, 2 open (the worst worker's).",
    multiprocess_mode="livemax",
)
FLOW_CONNECT_BREAKER_TRANSITIONS = Counter(
    "flow_api_flow_connect_breaker_transitions_total",
    "Changes of the Flow Connect circuit breaker's state, by the state entered (open, half_open, closed).",
    ["state"],
)
FLOW_CONNECT_BREAKER_SHORT_CIRCUITED = Counter(
    "flow_api_flow_connect_breaker_short_circuited_total",
    "Calls to Flow Connect answered at once by the open (or probing) circuit breaker, never sent.",
)


@contextmanager
def live_gauges_of_this_worker() -> Iterator[None]:
    """A worker's span of life for the `live*` gauges of multiprocess mode (the breaker's state):
    dead workers' samples are dropped as it starts, its own as it stops."""
    forget_dead_workers()
    try:
        yield
    finally:
        if (directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR")) is not None:
            multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]


def forget_dead_workers() -> None:
    """uvicorn respawns a worker that died, and nothing tells prometheus_client: its `live*` gauges
    would be read on every scrape, an open breaker's state among them, for as long as the directory
    lives. So each worker, as it starts, drops those of processes that are no longer alive."""
    if (directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR")) is None:
        return
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rpartition("_")[2])
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
