"""The one shape of an error answered outside GraphQL execution: GraphQL's `errors` list with a
code and the request id, so clients parse every error the same way."""

import json
from http import HTTPStatus

from starlette.responses import Response
from starlette.types import Message, Send

from app.core.http.request_id import current_request_id

# The codes the HTTP edge answers with: a request refused outside GraphQL, a fault of ours, a
# request cut by the end of a graceful shutdown. Here rather than in `app.errors` (which takes
# them from here), so the edge loads nothing of GraphQL.
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SHUTTING_DOWN = "SHUTTING_DOWN"


def error_body(message: str, *, code: str, request_id: str | None) -> bytes:
    error = {"message": message, "extensions": {"code": code, "requestId": request_id}}
    return json.dumps({"errors": [error]}, separators=(",", ":")).encode()


def raw_error_response(status: int, message: str, *, request_id: str) -> bytes:
    """A complete HTTP/1.1 response in our error shape, for answers given below the app; the
    connection closes after it."""
    body = error_body(message, code=BAD_REQUEST, request_id=request_id)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def error_response(status: int, message: str, *, code: str) -> Response:
    body = error_body(message, code=code, request_id=current_request_id())
    return Response(body, status_code=status, media_type="application/json")


class StartTrackingSend:
    """Wraps an ASGI `send` and remembers whether the response has started: once it has, no other
    answer can be sent in its place."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)
