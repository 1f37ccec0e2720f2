"""fleet-check's callers (deploy/traffic.py): which answers a client retries with its key, and when."""

import httpx
import pytest

from deploy.traffic import retry_after


def _answer(code: str, extensions: dict[str, object], status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, json={"data": None, "errors": [{"message": "m", "extensions": {"code": code, **extensions}}]}
    )


def test_service_unavailable_with_retry_after_is_retried_after_it() -> None:
    assert retry_after(_answer("SERVICE_UNAVAILABLE", {"retryAfter": 3})) == 3.0


@pytest.mark.parametrize(
    "response",
    [
        _answer("SERVICE_UNAVAILABLE", {}),  # no retryAfter: the client is not told when
        _answer("RATE_LIMITED", {"retryAfter": 3}),  # the caller's own budget: not what the outage checks
        _answer("REMOTE_API_ERROR", {"statusCode": 502}),
        httpx.Response(503, text="busy"),
        httpx.Response(200, json={"data": {"createConnection": True}}),
    ],
)
def test_other_answers_are_not_retried(response: httpx.Response) -> None:
    assert retry_after(response) is None
