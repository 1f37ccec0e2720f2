import asyncio
import uuid
from typing import Any

import httpx
import stamina

from app.auth import AuthInfo
from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.http_client import FlowConnectHttpClient
from app.core.flow_connect_api.instrumentation import observed_attempt
from app.core.request_id import current_request_id
from app.errors import RemoteApiError

# Flow Connect's answers are small JSON documents; anything longer is cut, never buffered whole.
MAX_RESPONSE_BYTES = 64 * 1024
# Only failures to *connect* are retried: nothing was sent, so nothing can be duplicated.
# A timeout or reset after the request went out is never retried.
_RETRY_ON = (httpx.ConnectError, httpx.ConnectTimeout)
RETRY_ATTEMPTS = 3
_RETRY_WAIT_INITIAL = 0.05
_RETRY_WAIT_MAX = 0.5
_RETRY_WAIT_JITTER = 0.1
# Dropped from the rebuilt response: its body is already decoded and may be cut.
_BODY_FRAMING_HEADERS = (b"content-encoding", b"content-length", b"transfer-encoding")


class FlowConnectApiClient:
    """Calls Flow Connect as the signed-in user (request scope: one per resolver call)."""

    def __init__(self, *, http: FlowConnectHttpClient, auth_info: AuthInfo, settings: FlowConnectApiSettings) -> None:
        self._http = http
        self._auth_info = auth_info
        self._deadline_seconds = settings.flow_connect_api_timeout

    async def post(self, endpoint: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body` as JSON to `endpoint`, a path under the configured base URL.

        Each call carries a fresh `Idempotency-Key` (kept across its retries) and the
        request id, so Flow Connect can de-duplicate and correlate. The whole call,
        retries included, ends within FLOW_CONNECT_API_TIMEOUT. Any transport failure
        becomes a `RemoteApiError`: nothing above this client sees an httpx exception.
        """
        request = self._http.build_request("POST", _relative(endpoint), json=body, headers=self._headers())
        try:
            async with asyncio.timeout(self._deadline_seconds):
                async for attempt in stamina.retry_context(
                    on=_RETRY_ON,
                    attempts=RETRY_ATTEMPTS,
                    timeout=None,  # the asyncio deadline above bounds the retries
                    wait_initial=_RETRY_WAIT_INITIAL,
                    wait_max=_RETRY_WAIT_MAX,
                    wait_jitter=_RETRY_WAIT_JITTER,
                ):
                    with attempt, observed_attempt(request, attempt.num) as observed:
                        response = await self._send(request)
                        observed.status = response.status_code
                        return response
        except (TimeoutError, httpx.TimeoutException):
            raise RemoteApiError("The Flow Connect API did not answer in time.") from None
        except httpx.ConnectError:
            raise RemoteApiError("The Flow Connect API is unreachable.") from None
        except httpx.RequestError:
            raise RemoteApiError("The Flow Connect API dropped the connection before answering.") from None
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    def _headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._auth_info.access_token}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        if request_id := current_request_id():
            headers["X-Request-ID"] = request_id
        return headers

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._http.send_once(request)
        try:
            content = await _read_capped(response)
        finally:
            await response.aclose()
        headers = [(name, value) for name, value in response.headers.raw if name.lower() not in _BODY_FRAMING_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk[: MAX_RESPONSE_BYTES - size])
        size += len(chunk)
        if size >= MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)


def _relative(endpoint: str) -> str:
    # httpx would send an absolute URL as-is, taking the caller's token to another origin.
    if not endpoint.startswith("/") or endpoint.startswith("//"):
        raise ValueError(f"endpoint must be a path under the Flow Connect base URL, got {endpoint!r}")
    return endpoint
