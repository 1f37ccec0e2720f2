"""Where every log line of the process goes: one output, written whole, once per loop iteration."""

import asyncio
import atexit
import contextlib
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from structlog.typing import EventDict, Processor, WrappedLogger


class LogOutput:
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


log_output = LogOutput()
# Whatever the last loop iteration wrote, if the loop stopped before flushing it.
atexit.register(log_output.flush)
