"""CORS for browser clients: Starlette's CORSMiddleware, configured from `CorsSettings`.

No credentials mode: tokens travel in `Authorization`, which a page sets explicitly, never in
cookies, so there is no ambient credential for another site to ride on.
"""

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Send

from app.core.config.cors_settings import CorsSettings

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "traceparent")
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "Idempotent-Replayed")
PREFLIGHT_MAX_AGE_SECONDS = 600
_BODY_HEADERS = frozenset({"content-length", "content-type"})
_CORS_HEADER_PREFIX = b"access-control-"

RawHeaders = list[tuple[bytes, bytes]]


class StrictCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with two departures:

    - an origin we do not allow gets no `Access-Control-*` header at all. Starlette sends its
      configured methods, headers and max-age on every preflight and `Expose-Headers` on every
      response to a request with an `Origin`, allowed or not; dropping them here keeps Starlette's
      origin matching, `Vary` and preflight checks, which a rewrite would have to follow by hand.
    - a successful preflight answers 204 without a body, not Starlette's 200 "OK": it has no
      content to give (browsers accept any 2xx).
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if not self.is_allowed_origin(request_headers["origin"]):  # Starlette's 400, bare
            response.raw_headers = _without_cors_headers(response.raw_headers)
            return response
        if response.status_code != 200:  # noqa: PLR2004 - Starlette's success status
            return response
        headers = [(name, value) for name, value in response.raw_headers if name.decode() not in _BODY_HEADERS]
        no_content = Response(status_code=204)
        no_content.raw_headers = headers
        return no_content

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if origin is None or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return

        async def send_bare(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _without_cors_headers(message["headers"])
            await send(message)

        await super().send(message, send_bare, request_headers)


def _without_cors_headers(headers: RawHeaders) -> RawHeaders:
    return [(name, value) for name, value in headers if not name.lower().startswith(_CORS_HEADER_PREFIX)]


def cors_middleware(settings: CorsSettings) -> list[Middleware]:
    """None at all when no origin is allowed: then responses carry no CORS header."""
    if not settings.enabled:
        return []
    return [
        Middleware(
            StrictCORSMiddleware,
            allow_origins=settings.allow_origins,
            allow_origin_regex=settings.allow_origin_regex,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
            allow_credentials=False,
        )
    ]
