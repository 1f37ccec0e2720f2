from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.http.responses import BAD_REQUEST, StartTrackingSend, error_response


class _BodyTooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    """Answers 413 to a request body over `max_bytes`, declared or streamed, before it is buffered."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_bytes:
                    raise _BodyTooLargeError
            return message

        tracking_send = StartTrackingSend(send)
        try:
            await self._app(scope, counting_receive, tracking_send)
        except _BodyTooLargeError:
            if tracking_send.started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"The request body exceeds {self._max_bytes} bytes.", code=BAD_REQUEST)
        await response(scope, receive, send)
