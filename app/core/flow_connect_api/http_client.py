import contextlib
from collections.abc import AsyncIterator

import httpx

from app.core.config import FlowConnectApiSettings


class FlowConnectHttpClient(httpx.AsyncClient):
    """The one pooled connection to Flow Connect per process; a type of its own so DI
    can never hand it (and the bearer tokens it carries) to another caller."""


@contextlib.asynccontextmanager
async def create_flow_connect_http_client(settings: FlowConnectApiSettings) -> AsyncIterator[FlowConnectHttpClient]:
    """Lives as long as the DI container: opened at start-up, closed at shutdown."""
    async with FlowConnectHttpClient(
        base_url=settings.base_url,
        timeout=httpx.Timeout(settings.flow_connect_api_timeout, connect=settings.flow_connect_api_connect_timeout),
        limits=httpx.Limits(
            max_connections=settings.flow_connect_api_max_connections,
            max_keepalive_connections=settings.flow_connect_api_max_keepalive_connections,
        ),
        # A redirect would carry the caller's bearer token to wherever it points.
        follow_redirects=False,
        # Never pick up proxies or netrc credentials from the environment.
        trust_env=False,
        headers={"Accept": "application/json", "User-Agent": "flow-api"},
    ) as client:
        yield client
