import os
import re
from contextvars import ContextVar

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# Anything else a client sends is replaced, so a log line can never be forged through it.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current_request_id.get()


class RequestIdMiddleware:
    """Gives each HTTP request an id: echoed in the response, bound to every log line."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        # 128 random bits in hex, as uuid4().hex would give, without building a UUID per request.
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        reset_token = _current_request_id.set(request_id)
        log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self._app(scope, receive, send_with_request_id)
        finally:
            structlog.contextvars.reset_contextvars(**log_tokens)
            _current_request_id.reset(reset_token)
