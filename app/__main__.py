"""`python -m app`: serve the app with uvicorn (HOST, PORT, WEB_CONCURRENCY)."""

import contextlib
import functools
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from types import FrameType
from typing import Any

import structlog
import uvicorn

from app.core.config import (
    ConfigError,
    GraphQLSettings,
    LoggingSettings,
    ServerSettings,
    SharedStateSettings,
    load_settings,
    pick,
)
from app.core.http.limits import HttpLimits
from app.core.http.protocol import BoundedHttpProtocol
from app.core.http.refusals import RefusalTally
from app.core.observability.logging import configure_logging
from app.core.observability.tracing import configure_tracing
from app.core.providers import settings_classes
from app.graphql.schemas.schema import create_schema
from app.graphql.trusted_documents import load_trusted_documents


def main() -> int:
    try:
        loaded = load_settings([ServerSettings, *settings_classes])
        configure_tracing()  # here too, so that a bad OTEL_* variable stops start-up cleanly
        _check_schema(pick(loaded, GraphQLSettings))
    except ConfigError as error:
        sys.stderr.write(f"flow-api: configuration error: {error}\n")
        return 2
    server = pick(loaded, ServerSettings)
    if server.web_concurrency > 1 and pick(loaded, SharedStateSettings).redis_url is None:
        logging_settings = pick(loaded, LoggingSettings)
        configure_logging(json=logging_settings.log_format == "json", level=logging_settings.log_level)
        structlog.get_logger(__name__).warning(
            "shared_state_per_worker",
            detail="WEB_CONCURRENCY > 1 without REDIS_URL: idempotency keys and rate limits are kept per worker",
        )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal; a stop
    # we asked for is a success, so the re-raised signal exits with status 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_successfully)
    with _metrics_shared_across(server.web_concurrency):
        _serve(server)
    return 0


def _check_schema(settings: GraphQLSettings) -> None:
    """Built here, so that a manifest that does not fit the schema, or a schema extension that
    cannot run, stops start-up with one line (the workers build it again with the app)."""
    create_schema(settings, trusted=load_trusted_documents(settings))


def _serve(server: ServerSettings) -> None:
    limits = HttpLimits(
        max_head_bytes=server.http_max_header_bytes,
        head_timeout=server.http_header_timeout,
        body_timeout=server.http_body_timeout,
        body_deadline=server.http_body_deadline,
        write_timeout=server.http_write_timeout,
        linger_timeout=server.http_linger_timeout,
        linger_max_bytes=server.http_linger_max_bytes,
        max_connections=server.http_max_connections,
    )
    # uvicorn calls it like a class; each worker unpickles its own tally, which logs a flood of
    # over-cap or too-slow refusals as one line per reason every 10 s.
    protocol: Any = functools.partial(BoundedHttpProtocol, limits=limits, tally=RefusalTally(interval=10.0))
    uvicorn.run(
        "app.main:create_served_app",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.web_concurrency,
        loop="uvloop",
        http=protocol,
        ws="none",  # we serve no websockets: an `Upgrade: websocket` is plain HTTP/1.1 to our protocol
        lifespan="on",
        log_config=None,  # the app routes uvicorn's loggers through its own structlog set-up
        server_header=False,
        timeout_graceful_shutdown=server.graceful_shutdown_timeout,
        timeout_keep_alive=server.keep_alive_timeout,
        access_log=False,  # the app logs one richer line per GraphQL request instead
    )


@contextlib.contextmanager
def _metrics_shared_across(workers: int) -> Iterator[None]:
    """With several workers, prometheus_client's multiprocess mode needs a directory shared by
    all of them, set before they import it; ours unless the operator chose one."""
    if workers == 1 or "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="flow-api-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        yield


def _exit_successfully(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


if __name__ == "__main__":
    sys.exit(main())
