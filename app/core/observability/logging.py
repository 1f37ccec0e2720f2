"""One output for every log line of the process: structlog's and the standard library's (uvicorn's).

structlog renders and writes its own lines (`log_output`): an event goes from the call to one
`write` on the output without a `logging.LogRecord`, a handler lock and a formatter copy in
between. The standard library's loggers keep their handler on the root logger, which renders
with the same processors (`json_lines` for JSON) into the same output. Levels are the standard
library's in both cases, so one `LOG_LEVEL` (and a test's `caplog.set_level`) decides for every
line.
"""

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

import structlog

from app.core.observability.json_lines import JSON_LINES, bound_strings, exception_as_dict, to_json
from app.core.observability.log_output import log_output

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor

# structlog's method names to the standard library's levels; any other method counts as an error.
_METHOD_LEVELS = {name.lower(): level for name, level in logging.getLevelNamesMapping().items()}


class _LineLogger:
    """structlog's logger: `name` for `add_logger_name`, the level from the standard library."""

    __slots__ = ("_levels", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._levels = logging.getLogger(name)

    def is_enabled_for(self, method: str) -> bool:
        return self._levels.isEnabledFor(_METHOD_LEVELS.get(method, logging.ERROR))

    def msg(self, line: str) -> None:
        log_output.write(line)

    debug = info = warning = error = critical = exception = msg


def _line_logger(*args: Any) -> _LineLogger:  # noqa: ANN401 - structlog passes get_logger's arguments through
    return _LineLogger(str(args[0]) if args else "")


class CanonicalLine:
    """A line written at INFO for every request or call (`graphql_request`, `flow_connect_call`),
    through structlog like every other line, so `structlog.testing.capture_logs` sees it too."""

    __slots__ = ("_event", "_levels", "_logger")

    def __init__(self, logger_name: str, event: str) -> None:
        self._event = event
        self._levels = logging.getLogger(logger_name)
        self._logger = structlog.get_logger(logger_name)

    def enabled(self) -> bool:
        """Asked first, so that below LOG_LEVEL not even the line's fields are built. The standard
        library's level decides, as for every line, even when logging is not set up (e.g. in a
        test of one component)."""
        return self._levels.isEnabledFor(logging.INFO)

    def __call__(self, **fields: object) -> None:
        self._logger.info(self._event, **fields)


def _filter_and_render(logger: _LineLogger, method: str, event: "EventDict") -> str | bytes:
    """structlog's one processor: the level first, so a line below LOG_LEVEL costs nothing else."""
    if not logger.is_enabled_for(method):
        raise structlog.DropEvent
    return log_output.render(logger, method, event)


class _AppLogHandler(logging.Handler):
    """The standard library's records, rendered by the same processors into the same output.
    Marks the handler we install, so configuring twice replaces it instead of stacking."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            log_output.write(self.format(record))
        except Exception:  # noqa: BLE001 - the standard library's contract for a handler
            self.handleError(record)


def _stamps(add_log_level: "Processor") -> list["Processor"]:
    """What every line records besides its own fields, as `json_lines` records for JSON lines."""
    return [
        structlog.contextvars.merge_contextvars,
        add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(*, json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (uvicorn included) through one renderer to
    `stream` (standard output by default)."""
    final: list[Processor] = [bound_strings]
    if json:
        final += [exception_as_dict, to_json]
    else:
        colors = (stream or sys.stdout).isatty()
        final.append(structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback))
    log_output.flush()  # lines waiting for the old stream go there
    log_output.stream = stream
    log_output.processors = JSON_LINES if json else [*_stamps(structlog.processors.add_log_level), *final]
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
