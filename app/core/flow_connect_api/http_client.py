import contextlib
from collections.abc import AsyncIterator

import httpx

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.aiohttp_transport import AiohttpTransport


class FlowConnectHttpClient(httpx.AsyncClient):
    """The one pooled connection to Flow Connect per process; a type of its own so DI
    can never hand it (and the bearer tokens it carries) to another caller."""

    def __init__(self, *, base_url: str, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout) -> None:
        super().__init__(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            # A redirect would carry the caller's bearer token to wherever it points.
            follow_redirects=False,
            # Never pick up proxies or netrc credentials from the environment.
            trust_env=False,
            headers={"Accept": "application/json", "User-Agent": "flow-api"},
        )
        self._direct_transport = transport

    async def send_once(self, request: httpx.Request) -> httpx.Response:
        """Send `request` (from `build_request`) as it is, response body unread.

        Straight to the transport: of what `send()` adds we want none - no redirect is ever
        followed, no cookie is ever kept (the client is shared by every caller), no auth flow -
        and that machinery was a fifth of our CPU per mutation (README, Performance).
        """
        return await self._direct_transport.handle_async_request(request)


@contextlib.asynccontextmanager
async def create_flow_connect_http_client(settings: FlowConnectApiSettings) -> AsyncIterator[FlowConnectHttpClient]:
    """Lives as long as the DI container: opened at start-up, closed at shutdown."""
    limits = httpx.Limits(max_connections=settings.flow_connect_api_max_connections)
    async with FlowConnectHttpClient(
        base_url=settings.base_url,
        transport=AiohttpTransport(limits=limits),
        timeout=httpx.Timeout(settings.flow_connect_api_timeout, connect=settings.flow_connect_api_connect_timeout),
    ) as client:
        yield client
