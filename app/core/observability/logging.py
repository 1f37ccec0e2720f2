"""One output for every log line of the process: structlog's and the standard library's (uvicorn's).

structlog renders and writes its own lines: an event goes from the call to one `write` on the
output without a `logging.LogRecord`, a handler lock and a formatter copy in between. The
standard library's loggers keep their handler on the root logger, which renders with the same
processors into the same output. Levels are the standard library's in both cases, so one
`LOG_LEVEL` (and a test's `caplog.set_level`) decides for every line.
"""

import asyncio
import atexit
import contextlib
import json as stdlib_json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

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
_exception_as_dict = ExceptionRenderer(ExceptionDictTransformer(show_locals=False, max_frames=_TRACEBACK_MAX_FRAMES))
# Longer string values are cut, so no single field can make a line unbounded.
MAX_LOGGED_STRING = 2048
# structlog's method names to the standard library's levels; any other method counts as an error.
_METHOD_LEVELS = {name.lower(): level for name, level in logging.getLevelNamesMapping().items()}


def _bound_strings(_logger: object, _method: str, event: "EventDict") -> "EventDict":
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


_to_json = structlog.processors.JSONRenderer(serializer=_json_dumps)


def _json_line(logger: "WrappedLogger", method: str, event: "EventDict") -> str | bytes:
    """structlog's chain for a JSON line in one call, with the same fields in the same order:
    context variables, level, logger name, timestamp, bounded strings, the exception as a dict.
    Seven processor calls cost more than the rendering itself, twice per mutation at INFO; the
    timestamp is a datetime that orjson formats (docs/performance.md)."""
    event = structlog.contextvars.merge_contextvars(logger, method, event)
    event = structlog.processors.add_log_level(logger, method, event)
    event["logger"] = logger.name
    event["timestamp"] = datetime.now(UTC)
    event = _bound_strings(logger, method, event)
    if "exc_info" in event:
        event = _exception_as_dict(logger, method, event)
    return _to_json(logger, method, event)


_JSON_LINES: "Sequence[Processor]" = (_json_line,)


class _Output:
    """Where every line goes and how it is rendered; one per process, like the standard library's
    root logger. Loggers keep a reference to it rather than to its parts, so that configuring
    again (tests do, per app) reaches loggers structlog has already cached."""

    def __init__(self) -> None:
        self.stream: TextIO | None = None  # None: whatever `sys.stdout` is when a line is written
        self.processors: Sequence[Processor] = ()
        # Shared with the standard library's handler: a line is written whole, from any thread.
        # Reentrant: a finalizer run by the garbage collector mid-write may log too.
        self.lock = threading.RLock()
        self._pending: list[str] = []
        # The loop a flush is scheduled on: a loop closed before running it never holds up another.
        self._flush_on: asyncio.AbstractEventLoop | None = None

    def render(self, logger: "WrappedLogger", method: str, event: "EventDict") -> str:
        result: Any = event
        for processor in self.processors:
            result = processor(logger, method, result)
        return str(result)

    def write(self, line: str) -> None:
        """Outside an event loop (start-up, other threads) a line is out when the call returns.
        On the event loop, the lines of one loop iteration go out together once it ends: one
        system call for all of them rather than one per line (two lines per request at INFO),
        and never later than the next iteration, so a crash loses at most that iteration's."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self.lock:
            self._pending.append(line)
            if loop is None:
                self._flush_pending()
            elif self._flush_on is not loop:
                self._flush_on = loop
                loop.call_soon(self.flush)

    def flush(self) -> None:
        with self.lock:
            self._flush_pending()

    def _flush_pending(self) -> None:
        self._flush_on = None
        if not self._pending:
            return
        lines, self._pending = self._pending, []  # taken first: a failed write is never retried
        try:
            stream = self.stream or sys.stdout
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError) as error:  # closed or broken output, lines it cannot encode
            # Said where it can still be read; never logged, which would fail the same way.
            with contextlib.suppress(OSError, ValueError):
                print(f"log output failed ({type(error).__name__}): {len(lines)} lines lost", file=sys.__stderr__)


_output = _Output()
# Whatever the last loop iteration wrote, if the loop stopped before flushing it.
atexit.register(_output.flush)


class _LineLogger:
    """structlog's logger: `name` for `add_logger_name`, the level from the standard library."""

    __slots__ = ("_levels", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._levels = logging.getLogger(name)

    def is_enabled_for(self, method: str) -> bool:
        return self._levels.isEnabledFor(_METHOD_LEVELS.get(method, logging.ERROR))

    def msg(self, line: str) -> None:
        _output.write(line)

    debug = info = warning = error = critical = exception = msg


def _line_logger(*args: Any) -> _LineLogger:  # noqa: ANN401 - structlog passes get_logger's arguments through
    return _LineLogger(str(args[0]) if args else "")


class CanonicalLine:
    """A line written at INFO for every request or call (`graphql_request`, `flow_connect_call`).

    JSON lines skip structlog's bound logger (the lazy proxy, bind, the context copy, the
    processor loop) and go straight to the same renderer and output: the same fields in the same
    order, 15 µs less CPU per mutation at 32 in flight (docs/performance.md). Console lines go
    through structlog like every other line. (structlog's `capture_logs` does not see the JSON
    ones; tests read the output, as an operator does.)
    """

    __slots__ = ("_event", "_line_logger", "_logger")

    def __init__(self, logger_name: str, event: str) -> None:
        self._event = event
        self._line_logger = _LineLogger(logger_name)
        self._logger = structlog.get_logger(logger_name)

    def enabled(self) -> bool:
        """Asked first, so that below LOG_LEVEL not even the line's fields are built. The standard
        library's level decides, as for every line, even when logging is not set up (e.g. in a
        test of one component)."""
        return self._line_logger.is_enabled_for("info")

    def __call__(self, **fields: object) -> None:
        if not self.enabled():  # callers ask first, to skip building the fields; the level holds either way
            return
        if _output.processors is not _JSON_LINES:
            self._logger.info(self._event, **fields)
            return
        fields["event"] = self._event  # after the fields, as structlog orders them
        _output.write(str(_json_line(self._line_logger, "info", fields)))


def _filter_and_render(logger: _LineLogger, method: str, event: "EventDict") -> str | bytes:
    """structlog's one processor: the level first, so a line below LOG_LEVEL costs nothing else."""
    if not logger.is_enabled_for(method):
        raise structlog.DropEvent
    return _output.render(logger, method, event)


class _AppLogHandler(logging.Handler):
    """The standard library's records, rendered by the same processors into the same output.
    Marks the handler we install, so configuring twice replaces it instead of stacking."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _output.write(self.format(record))
        except Exception:  # noqa: BLE001 - the standard library's contract for a handler
            self.handleError(record)


def _stamps(add_log_level: "Processor") -> list["Processor"]:
    """What every line records besides its own fields, as `_json_line` records for JSON lines."""
    return [
        structlog.contextvars.merge_contextvars,
        add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(*, json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (uvicorn included) through one renderer to
    `stream` (standard output by default)."""
    final: list[Processor] = [_bound_strings]
    if json:
        final += [_exception_as_dict, _to_json]
    else:
        colors = (stream or sys.stdout).isatty()
        final.append(structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback))
    _output.flush()  # lines waiting for the old stream go there
    _output.stream = stream
    _output.processors = _JSON_LINES if json else [*_stamps(structlog.processors.add_log_level), *final]
    structlog.configure(
        processors=[_filter_and_render],
        logger_factory=_line_logger,
        wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
        cache_logger_on_first_use=True,
    )
    handler = _AppLogHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_stamps(structlog.stdlib.add_log_level),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _AppLogHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; our own `flow_connect_call` line says more.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
