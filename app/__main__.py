"""`python -m app`: serve `app.main:app` with uvicorn (HOST, PORT, WEB_CONCURRENCY)."""

import signal
import sys
from types import FrameType

import uvicorn

from app.core.config import ConfigError, ServerSettings, load_settings, pick
from app.core.providers import settings_classes


def main() -> int:
    try:
        server = pick(load_settings([ServerSettings, *settings_classes]), ServerSettings)
    except ConfigError as error:
        sys.stderr.write(f"flow-api: configuration error: {error}\n")
        return 2
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal; a stop
    # we asked for is a success, so the re-raised signal exits with status 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_successfully)
    uvicorn.run(
        "app.main:app",
        host=server.host,
        port=server.port,
        workers=server.web_concurrency,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # the app routes uvicorn's loggers through its own structlog set-up
        server_header=False,
        timeout_graceful_shutdown=server.graceful_shutdown_timeout,
        timeout_keep_alive=server.keep_alive_timeout,
    )
    return 0


def _exit_successfully(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


if __name__ == "__main__":
    sys.exit(main())
