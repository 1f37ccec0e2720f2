from typing import Any

import httpx

from app.auth import AuthInfo
from app.core.flow_connect_api.http_client import FlowConnectHttpClient
from app.errors import RemoteApiError


class FlowConnectApiClient:
    """Calls Flow Connect as the signed-in user (request scope: one per resolver call)."""

    def __init__(self, *, http: FlowConnectHttpClient, auth_info: AuthInfo) -> None:
        self._http = http
        self._auth_info = auth_info

    async def post(self, endpoint: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body` as JSON to `endpoint` (a path under the base URL).

        Any transport failure — refused, timed out, reset — becomes a `RemoteApiError`:
        nothing above this client sees an httpx exception.
        """
        try:
            return await self._http.post(
                endpoint,
                json=body,
                headers={"Authorization": f"Bearer {self._auth_info.access_token}"},
            )
        except httpx.TimeoutException:
            raise RemoteApiError("The Flow Connect API did not answer in time.") from None
        except httpx.RequestError:
            raise RemoteApiError("The Flow Connect API is unreachable.") from None
