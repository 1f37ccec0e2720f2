"""A log event as one JSON line: what every line records, bounded, rendered by orjson."""

import json as stdlib_json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from structlog.typing import EventDict, Processor, WrappedLogger

# Tracebacks keep what a fix needs (types, messages, frames) and never frame locals: those hold
# requests, headers and tokens. Frames beyond the limit are dropped from the middle.
_TRACEBACK_MAX_FRAMES = 30
exception_as_dict = ExceptionRenderer(ExceptionDictTransformer(show_locals=False, max_frames=_TRACEBACK_MAX_FRAMES))
# Longer string values are cut, so no single field can make a line unbounded.
MAX_LOGGED_STRING = 2048


def bound_strings(_logger: object, _method: str, event: "EventDict") -> "EventDict":
    for key, value in event.items():
        if isinstance(value, str) and len(value) > MAX_LOGGED_STRING:
            event[key] = value[:MAX_LOGGED_STRING] + "...[cut]"
    return event


def _json_dumps(event: "EventDict", *, default: Any) -> str:  # noqa: ANN401 - structlog's fallback handler
    """orjson: a tenth of the standard library's time per line (one line per request and per
    Flow Connect call at INFO); it writes datetimes as ISO 8601, UTC as `Z`. It refuses integers
    beyond 64 bits, which the standard library writes: a line is never lost to that."""
    try:
        return orjson.dumps(event, default=default, option=orjson.OPT_UTC_Z).decode()
    except orjson.JSONEncodeError:
        return stdlib_json.dumps(event, default=lambda value: _as_text(value, default))


def _as_text(value: object, default: Any) -> Any:  # noqa: ANN401 - structlog's fallback handler, and its result
    """What the standard library cannot write: datetimes as orjson writes them, the rest as structlog's fallback."""
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else default(value)


to_json = structlog.processors.JSONRenderer(serializer=_json_dumps)


def _json_line(logger: "WrappedLogger", method: str, event: "EventDict") -> str | bytes:
    """structlog's chain for a JSON line in one processor, with the same fields in the same order:
    context variables, level, logger name, timestamp, bounded strings, the exception as a dict.
    Seven processor calls cost more than the rendering itself; the timestamp is a datetime that
    orjson formats (docs/performance.md)."""
    event = structlog.contextvars.merge_contextvars(logger, method, event)
    event = structlog.processors.add_log_level(logger, method, event)
    event["logger"] = logger.name
    event["timestamp"] = datetime.now(UTC)
    event = bound_strings(logger, method, event)
    if "exc_info" in event:
        event = exception_as_dict(logger, method, event)
    return to_json(logger, method, event)


JSON_LINES: "Sequence[Processor]" = (_json_line,)
