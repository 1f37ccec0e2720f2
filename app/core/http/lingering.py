"""nginx's lingering close, whichever layer ends the connection.

Closing a socket with unread input makes the kernel send a reset, and a reset can destroy an answer
still on its way: a client that writes its whole body before reading (urllib, requests, browsers)
then sees a network error instead of our 413, 431 or 400, and cannot tell whether its request
ran. So when the client may still be sending, the answer goes out followed by a FIN, and what
arrives is read and dropped for a bounded time and byte count before the socket closes.
"""

import asyncio
from collections.abc import Callable
from typing import Any


class LingeringTransport(asyncio.Transport):
    """The transport uvicorn's protocol and its request cycles see. `close()`, from wherever it
    comes (a response with `Connection: close`, a shutdown, a refusal), asks `may_still_send`
    whether the client may still be sending, and if so lingers instead of closing at once."""

    def __init__(
        self,
        transport: asyncio.Transport,
        *,
        loop: asyncio.AbstractEventLoop,
        may_still_send: Callable[[], bool],
        timeout: float,
        max_bytes: int,
    ) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._may_still_send = may_still_send
        self._timeout = timeout
        self._bytes_left = max_bytes
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None

    @property
    def lingering(self) -> bool:
        return self._timer is not None

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self._may_still_send():
            self.linger()
        else:
            self._transport.close()

    def linger(self) -> None:
        self._closing = True
        if self._timer is not None or self._transport.is_closing():
            return
        if not self._transport.can_write_eof():
            self._transport.close()
            return
        self._transport.write_eof()  # sent once the buffered answer is
        self._transport.resume_reading()  # what arrives must be read to be dropped
        self._timer = self._loop.call_later(self._timeout, self._transport.close)

    def close_now(self) -> None:
        """For a client that has stopped sending: nothing to linger for."""
        self._closing = True
        self._transport.close()

    def drop(self, received: int) -> None:
        """Input that arrived while lingering: dropped, and past the byte budget the socket closes."""
        self._bytes_left -= received
        if self._bytes_left < 0:
            self._transport.close()

    def forget(self) -> None:
        """The socket is closed: nothing is left to time out."""
        if self._timer is not None:
            self._timer.cancel()

    def is_closing(self) -> bool:
        return self._closing or self._transport.is_closing()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        # A request still running behind the one uvicorn marks disconnected (pipelining) may write
        # after the socket is gone; its answer has no one to reach.
        if not self._transport.is_closing():
            self._transport.write(data)

    def abort(self) -> None:
        self._closing = True
        self._transport.abort()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def get_extra_info(self, name: str, default: Any = None) -> Any:  # noqa: ANN401 - asyncio's signature
        return self._transport.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self._transport.write_eof()
