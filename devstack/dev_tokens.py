"""`GET /dev/token` beside the dev identity provider: a fresh dev token for the GraphiQL page.

Only the API's own origins may read it from a browser (CORS), so another page open in the same
browser cannot take a token; anything on the machine could mint one from `.dev/` anyway.
"""

from collections.abc import Callable, Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEV_TOKEN_PATH = "/dev/token"  # noqa: S105 - a path, not a secret


def dev_token_route(*, mint: Callable[[], str], ttl_seconds: int, allow_origins: Sequence[str]) -> Route:
    async def token(_request: Request) -> JSONResponse:
        return JSONResponse(
            {"token": mint(), "token_type": "Bearer", "expires_in": ttl_seconds},
            headers={"Cache-Control": "no-store"},
        )

    endpoint = CORSMiddleware(Route(DEV_TOKEN_PATH, token), allow_origins=allow_origins, allow_methods=["GET"])
    return Route(DEV_TOKEN_PATH, endpoint, methods=["GET"])
