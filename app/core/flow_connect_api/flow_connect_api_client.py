import asyncio
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import httpx

from app.auth import AuthInfo
from app.core.compact_json import compact_json
from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api.breaker import FlowConnectBreaker, ShortCircuitedError
from app.core.flow_connect_api.retries import RetryPolicy, retried_on
from app.core.flow_connect_api.routes import PathValue, filled
from app.core.flow_connect_api.transport import FlowConnectTransport, NotSentError, ResponseTooLargeError, SentError
from app.core.http.request_id import current_request_id
from app.errors import RemoteApiError, ServiceUnavailableError

# Only failures to connect are retried: nothing was sent, so nothing can be duplicated.
CONNECT_RETRIES = RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.5, wait_jitter=0.1)
NOT_SENT_MESSAGE = "The Flow Connect API is busy; the request was not sent."
TIMED_OUT_MESSAGE = "The Flow Connect API did not answer in time."
SHORT_CIRCUITED_MESSAGE = "Flow Connect is failing; the request was not sent."
# Methods Flow Connect may act on twice: each call carries a key it can de-duplicate by.
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FlowConnectApiClient:
    """Calls Flow Connect as the signed-in user (request scope: one per GraphQL request).

    Every call ends within FLOW_CONNECT_API_TIMEOUT, retries included; waiting for a pooled
    connection counts against it, and no attempt starts with less than
    FLOW_CONNECT_API_CONNECT_TIMEOUT of it left. Any failure becomes a `RemoteApiError`; while the
    circuit breaker is open, a call is refused with `ServiceUnavailableError` and nothing is sent.

    The breaker counts one outcome per call, retries included: its minimum and ratio are then in
    the callers' terms, and a refused connection retried three times is one failed call, not three.
    """

    def __init__(
        self,
        *,
        transport: FlowConnectTransport,
        breaker: FlowConnectBreaker,
        auth_info: AuthInfo,
        settings: FlowConnectApiSettings,
    ) -> None:
        self._transport = transport
        self._breaker = breaker
        self._auth_info = auth_info
        self._deadline_seconds = settings.flow_connect_api_timeout
        # What must be left of the deadline to send at all: as long as connecting may take.
        self._send_floor_seconds = settings.flow_connect_api_connect_timeout

    def check_available(self) -> None:
        """ServiceUnavailableError at once while the circuit breaker would refuse a call: asked
        before anything is locked or counted for one (an Idempotency-Key, a rate budget)."""
        try:
            self._breaker.check()
        except ShortCircuitedError as refused:
            raise _not_sent(refused) from None

    async def post(self, endpoint: str, body: dict[str, Any], *, idempotency_key: str | None = None) -> httpx.Response:
        """POST `body` as JSON to `endpoint`, a route without placeholders under the base URL."""
        return await self.request("POST", endpoint, json=body, idempotency_key=idempotency_key)

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, PathValue] | None = None,
        json: object = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """One call to `route` under the base URL, whatever its status; `json` is the body, if any.

        `route` is a template (`/connections/requests/{id}`), the call's name in spans, metrics and
        log lines; `path_params` fill it in, each percent-encoded into one path segment (an empty,
        `.` or `..` value is BadUserInputError). Never put a value into `route` itself.

        An unsafe method carries an `Idempotency-Key` - the given one (the same for every retry of
        a client's request), else a fresh one - kept across connect retries; every call carries
        the request id, so Flow Connect can de-duplicate and correlate.
        """
        path = filled(route, path_params)
        content = _encoded(json)
        headers = self._headers(method, has_body=content is not None, idempotency_key=idempotency_key)
        try:
            ticket = self._breaker.admit()
        except ShortCircuitedError as refused:
            raise _not_sent(refused) from None
        failed: bool | None = None  # stays None if the call is cancelled: that says nothing about Flow Connect
        try:
            response = await self._send(method, route, path, headers=headers, content=content)
            failed = _says_flow_connect_failed(response.status_code)
        except RemoteApiError as error:
            failed = _says_flow_connect_failed((error.extensions or {}).get("statusCode"))
            raise
        finally:
            self._breaker.settle(ticket, failed=failed)
        return response

    async def _send(
        self, method: str, route: str, path: str, *, headers: dict[str, str], content: bytes | None
    ) -> httpx.Response:
        deadline = asyncio.get_running_loop().time() + self._deadline_seconds

        async def attempt(number: int) -> httpx.Response:
            send_within = deadline - asyncio.get_running_loop().time() - self._send_floor_seconds
            if send_within <= 0:
                raise RemoteApiError(NOT_SENT_MESSAGE)  # a caller past its deadline must not act upstream
            return await self._transport.send(
                method, route, path, headers=headers, content=content, send_within=send_within, attempt=number
            )

        try:
            async with asyncio.timeout_at(deadline):
                return await retried_on(NotSentError, attempt, policy=CONNECT_RETRIES)
        except ResponseTooLargeError as error:
            raise RemoteApiError(str(error), status_code=error.status) from None
        except (NotSentError, SentError) as error:
            raise RemoteApiError(str(error)) from None
        except TimeoutError:
            raise RemoteApiError(TIMED_OUT_MESSAGE) from None

    def _headers(self, method: str, *, has_body: bool, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._auth_info.access_token}"}
        if has_body:
            headers["Content-Type"] = "application/json"
        if method in _UNSAFE_METHODS:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        if request_id := current_request_id():
            headers["X-Request-ID"] = request_id
        return headers


def _encoded(body: object) -> bytes | None:
    return None if body is None else compact_json(body)


def _says_flow_connect_failed(status: int | None) -> bool:
    """What the breaker counts as a failure: no answer at all, or a 5xx. A 4xx is Flow Connect's
    answer about the request (an answer too large to read keeps its status, and counts by it)."""
    return status is None or status >= HTTPStatus.INTERNAL_SERVER_ERROR


def _not_sent(refused: ShortCircuitedError) -> ServiceUnavailableError:
    return ServiceUnavailableError(SHORT_CIRCUITED_MESSAGE, extensions={"retryAfter": refused.retry_after})
