import asyncio

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.http.responses import INTERNAL_SERVER_ERROR, SHUTTING_DOWN, StartTrackingSend, error_response

logger = structlog.get_logger(__name__)


class UnexpectedErrorMiddleware:
    """The one catch-all outside GraphQL: a fault of ours is logged in full under the request id
    and answered 500 in our error shape. Nothing is re-raised, so the server neither logs it a
    second time nor drops the requests pipelined behind it.

    Two endings are not faults: a client that hangs up mid-request (one info line), and a request
    still running when the graceful shutdown's deadline cancels it (answered in our shape)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        tracking_send = StartTrackingSend(send)
        try:
            await self._app(scope, receive, tracking_send)
        except ClientDisconnect:
            logger.info("client_disconnected", method=scope["method"], path=scope["path"][:200])
        except asyncio.CancelledError:
            # uvicorn cancels a request task only at the graceful deadline, and awaits nothing of
            # it afterwards: the request is answered here and the task ends, rather than uvicorn
            # answering a bare 500 without a request id.
            logger.warning("request_cut_at_shutdown", method=scope["method"], path=scope["path"][:200])
            if not tracking_send.started:
                message = (
                    "The server shut down before this request finished; it may have reached Flow Connect. "
                    "Retry with the same Idempotency-Key."
                )
                await error_response(503, message, code=SHUTTING_DOWN)(scope, receive, send)
        except Exception:
            logger.exception("unhandled_error", method=scope["method"], path=scope["path"][:200])
            if not tracking_send.started:
                response = error_response(500, "Internal server error.", code=INTERNAL_SERVER_ERROR)
                await response(scope, receive, send)
