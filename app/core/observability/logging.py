import logging
import sys
from typing import TYPE_CHECKING, TextIO

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor


def is_enabled_for(name: str, level: int) -> bool:
    """Whether logger `name` would write a line at `level`. structlog renders through the
    standard library here, whose levels decide; hot paths ask first and skip building an
    event that would be dropped. Asks the standard library even when structlog is not set up
    (e.g. in tests of one component), where structlog's own default logger has no such check."""
    return logging.getLogger(name).isEnabledFor(level)


# Tracebacks keep what a fix needs (types, messages, frames) and never frame locals: those hold
# requests, headers and tokens. Frames beyond the limit are dropped from the middle.
_TRACEBACK_MAX_FRAMES = 30
_exception_as_dict = ExceptionRenderer(ExceptionDictTransformer(show_locals=False, max_frames=_TRACEBACK_MAX_FRAMES))
# Longer string values are cut, so no single field can make a line unbounded.
MAX_LOGGED_STRING = 2048


def _bound_strings(_logger: object, _method: str, event: "EventDict") -> "EventDict":
    for key, value in event.items():
        if isinstance(value, str) and len(value) > MAX_LOGGED_STRING:
            event[key] = value[:MAX_LOGGED_STRING] + "...[cut]"
    return event


class _AppLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we install, so configuring twice replaces it instead of stacking."""


def configure_logging(*, json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (uvicorn included) through one renderer."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(
            colors=(stream or sys.stdout).isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta, _bound_strings]
    if json:
        final.append(_exception_as_dict)
    final.append(renderer)
    structlog.configure(
        # Level first: a line below LOG_LEVEL then costs nothing else.
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _AppLogHandler(stream or sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final))
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _AppLogHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; our own `flow_connect_call` line says more.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
