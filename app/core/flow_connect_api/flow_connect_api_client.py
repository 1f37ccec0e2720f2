import asyncio
import json
import uuid
from typing import Any

import httpx
import stamina

from app.auth import AuthInfo
from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.http_client import FlowConnectHttpClient
from app.core.flow_connect_api.instrumentation import ObservedAttempt
from app.core.request_id import current_request_id
from app.errors import RemoteApiError

# Only failures to *connect* are retried: nothing was sent, so nothing can be duplicated.
# A timeout or reset after the request went out is never retried.
_RETRY_ON = (httpx.ConnectError, httpx.ConnectTimeout)
RETRY_ATTEMPTS = 3
_RETRY_WAIT_INITIAL = 0.05
_RETRY_WAIT_MAX = 0.5
_RETRY_WAIT_JITTER = 0.1
NOT_SENT_MESSAGE = "The Flow Connect API is busy; the request was not sent."


class _NotSentError(Exception):
    """Too little of the caller's deadline is left to send: Flow Connect would act on a request
    whose caller has already been told it failed."""


class FlowConnectApiClient:
    """Calls Flow Connect as the signed-in user (request scope: one per resolver call)."""

    def __init__(self, *, http: FlowConnectHttpClient, auth_info: AuthInfo, settings: FlowConnectApiSettings) -> None:
        self._http = http
        self._auth_info = auth_info
        self._deadline_seconds = settings.flow_connect_api_timeout
        # What must be left of the deadline to send at all: as long as connecting may take.
        self._send_floor_seconds = settings.flow_connect_api_connect_timeout

    async def post(self, endpoint: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body` as JSON to `endpoint`, a path under the configured base URL.

        Each call carries a fresh `Idempotency-Key` (kept across its retries) and the
        request id, so Flow Connect can de-duplicate and correlate. The whole call,
        retries included, ends within FLOW_CONNECT_API_TIMEOUT; waiting for a pooled
        connection counts against it, and no attempt is sent with less than
        FLOW_CONNECT_API_CONNECT_TIMEOUT of it left. Any transport failure becomes a
        `RemoteApiError`: nothing above this client sees an httpx exception.
        """
        path = _relative(endpoint)
        content = json.dumps(body, separators=(",", ":")).encode()
        headers = self._headers()
        deadline = asyncio.get_running_loop().time() + self._deadline_seconds
        try:
            async with asyncio.timeout_at(deadline):
                return await self._send_with_retries(path, content, headers, deadline)
        except _NotSentError:
            raise RemoteApiError(NOT_SENT_MESSAGE) from None
        except httpx.ConnectTimeout:
            # No pooled connection freed and none could be opened in time on the last attempt.
            raise RemoteApiError(
                "The Flow Connect API did not accept a connection in time; the request was not sent."
            ) from None
        except (TimeoutError, httpx.TimeoutException):
            raise RemoteApiError("The Flow Connect API did not answer in time.") from None
        except httpx.ConnectError:
            raise RemoteApiError("The Flow Connect API is unreachable.") from None
        except httpx.RequestError:
            raise RemoteApiError("The Flow Connect API dropped the connection before answering.") from None

    async def _send_with_retries(
        self, path: str, content: bytes, headers: dict[str, str], deadline: float
    ) -> httpx.Response:
        # The first attempt runs without stamina: building its retry state cost ~90 us a call,
        # as much as the HTTP exchange itself (README, Performance), and most calls connect.
        # Should it fail to connect, stamina takes over as if its own first attempt had failed,
        # so the backoff, the attempt count and stamina's retry hooks are the same as always.
        try:
            return await self._attempt(path, content, headers, deadline, number=1)
        except _RETRY_ON as error:
            first_failure = error
        async for attempt in stamina.retry_context(
            on=_RETRY_ON,
            attempts=RETRY_ATTEMPTS,
            timeout=None,  # the asyncio deadline in `post` bounds the retries
            wait_initial=_RETRY_WAIT_INITIAL,
            wait_max=_RETRY_WAIT_MAX,
            wait_jitter=_RETRY_WAIT_JITTER,
        ):
            with attempt:
                if attempt.num == 1:
                    raise first_failure
                return await self._attempt(path, content, headers, deadline, number=attempt.num)
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    async def _attempt(
        self, path: str, content: bytes, headers: dict[str, str], deadline: float, *, number: int
    ) -> httpx.Response:
        send_within = deadline - asyncio.get_running_loop().time() - self._send_floor_seconds
        if send_within <= 0:
            raise _NotSentError  # before ObservedAttempt: an attempt never made is not counted
        with ObservedAttempt("POST", self._http.url(path), headers, number) as attempt:
            response = await self._http.post(path, content=content, headers=headers, send_within=send_within)
            attempt.status = response.status_code
            return response

    def _headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._auth_info.access_token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        if request_id := current_request_id():
            headers["X-Request-ID"] = request_id
        return headers


def _relative(endpoint: str) -> str:
    # Only a path is joined to the base URL: anything else would make a URL we never meant to call.
    if not endpoint.startswith("/") or endpoint.startswith("//"):
        raise ValueError(f"endpoint must be a path under the Flow Connect base URL, got {endpoint!r}")
    return endpoint
