import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.http.responses import StartTrackingSend, error_response
from app.errors.classification import INTERNAL_SERVER_ERROR

logger = structlog.get_logger(__name__)


class UnexpectedErrorMiddleware:
    """The one catch-all outside GraphQL: a fault of ours is logged in full under the request id
    and answered 500 in our error shape. Nothing is re-raised, so the server neither logs it a
    second time nor drops the requests pipelined behind it."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        tracking_send = StartTrackingSend(send)
        try:
            await self._app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled_error", method=scope["method"], path=scope["path"][:200])
            if not tracking_send.started:
                response = error_response(500, "Internal server error.", code=INTERNAL_SERVER_ERROR)
                await response(scope, receive, send)
