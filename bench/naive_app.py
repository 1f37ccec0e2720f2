"""The service as the seed plan wrote its client: a new `httpx.AsyncClient` per call.

Benchmark-only ASGI app factory, `uvicorn --factory bench.naive_app:create_naive_app`: the real app with the
Flow Connect client swapped through the DI overrides, so the gap to `python -m app`
is exactly the cost of not pooling connections.
"""

from typing import Any

import httpx
from aioinject import Scoped
from starlette.applications import Starlette

from app.auth import AuthInfo
from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api import FlowConnectApiClient
from app.errors import RemoteApiError
from app.main import create_app


class NaiveFlowConnectApiClient(FlowConnectApiClient):
    # Self-contained on purpose: the parent's constructor may change, this baseline must not.
    def __init__(self, *, settings: FlowConnectApiSettings, auth_info: AuthInfo) -> None:
        self._settings = settings
        self._auth_info = auth_info

    def check_available(self) -> None:
        """The seed plan's client has no circuit breaker: it is always available."""

    async def post(self, endpoint: str, body: dict[str, Any], *, idempotency_key: str | None = None) -> httpx.Response:
        timeout = httpx.Timeout(
            self._settings.flow_connect_api_timeout, connect=self._settings.flow_connect_api_connect_timeout
        )
        try:
            async with httpx.AsyncClient(
                base_url=self._settings.base_url, timeout=timeout, follow_redirects=False
            ) as client:
                headers = {"Authorization": f"Bearer {self._auth_info.access_token}"}
                if idempotency_key is not None:
                    headers["Idempotency-Key"] = idempotency_key
                return await client.post(endpoint, json=body, headers=headers)
        except httpx.TimeoutException:
            raise RemoteApiError("The Flow Connect API did not answer in time.") from None
        except httpx.RequestError:
            raise RemoteApiError("The Flow Connect API is unreachable.") from None


def create_naive_app() -> Starlette:
    return create_app(overrides=[Scoped(NaiveFlowConnectApiClient, interface=FlowConnectApiClient)], tune_gc=True)
