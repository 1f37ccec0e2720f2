"""The floor under the service: forward the REST call to Flow Connect and nothing else.

No GraphQL, no token check, one shared client per process. Served by uvicorn as
`bench.forwarders:httpx_app` or `bench.forwarders:aiohttp_app`; the upstream comes from
`BENCH_UPSTREAM_URL`.
"""

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import aiohttp
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ENDPOINT = "/connections/requests"
UPSTREAM_ENV = "BENCH_UPSTREAM_URL"

# (authorization, body) -> (status, body)
Forward = Callable[[str, bytes], Awaitable[tuple[int, bytes]]]


@asynccontextmanager
async def _httpx_forward() -> AsyncIterator[Forward]:
    async with httpx.AsyncClient(base_url=os.environ[UPSTREAM_ENV]) as client:

        async def forward(authorization: str, body: bytes) -> tuple[int, bytes]:
            headers = {"Authorization": authorization, "Content-Type": "application/json"}
            response = await client.post(ENDPOINT, content=body, headers=headers)
            return response.status_code, response.content

        yield forward


@asynccontextmanager
async def _aiohttp_forward() -> AsyncIterator[Forward]:
    async with aiohttp.ClientSession(base_url=os.environ[UPSTREAM_ENV]) as session:

        async def forward(authorization: str, body: bytes) -> tuple[int, bytes]:
            headers = {"Authorization": authorization, "Content-Type": "application/json"}
            async with session.post(ENDPOINT, data=body, headers=headers) as response:
                return response.status, await response.read()

        yield forward


def _forwarder(client: Callable[[], AbstractAsyncContextManager[Forward]]) -> Starlette:
    forwards: list[Forward] = []

    async def endpoint(request: Request) -> Response:
        status, content = await forwards[0](request.headers.get("authorization", ""), await request.body())
        return Response(content, status_code=status, media_type="application/json")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with client() as forward:
            forwards.append(forward)
            yield

    return Starlette(routes=[Route(ENDPOINT, endpoint, methods=["POST"])], lifespan=lifespan)


httpx_app = _forwarder(_httpx_forward)
aiohttp_app = _forwarder(_aiohttp_forward)
