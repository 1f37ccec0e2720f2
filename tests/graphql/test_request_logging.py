"""One log line per GraphQL request and per upstream call, with the request id and never the token."""

import pytest

from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs

CREATE = 'mutation Connect { createConnection(targetOrgId: "9133da7c-3b98-4673-91dc-0dc58cc8740c") }'


async def test_request_and_upstream_call_lines(
    start_api: ApiFactory,
    idp: RunningIdentityProvider,
    upstream: RunningUpstream,
    caplog: pytest.LogCaptureFixture,
    logs: CapturedLogs,
) -> None:
    caplog.set_level("INFO")
    api = await start_api()
    token = idp.token(extra_claims={"external_id": "3f2b8c1e-7d4a-4e6b-9a0c-1b2c3d4e5f60"})
    upstream.fake.respond(404, b'{"message": "no such org"}')

    response = await api.execute(CREATE, token=token, headers={"X-Request-ID": "req-42"})

    assert response.error_codes == ["NOT_FOUND"]
    [request_line] = logs.events("graphql_request")
    assert request_line["request_id"] == "req-42"
    assert request_line["operation_type"] == "mutation"
    assert request_line["operation_name"] == "Connect"
    assert request_line["root_field"] == "createConnection"
    assert request_line["error_codes"] == ["NOT_FOUND"]
    assert request_line["flow_user_id"] == "3f2b8c1e-7d4a-4e6b-9a0c-1b2c3d4e5f60"
    assert request_line["duration_ms"] > 0
    [call_line] = logs.events("flow_connect_call")
    assert {k: call_line[k] for k in ("request_id", "method", "route", "status", "attempt")} == {
        "request_id": "req-42",
        "method": "POST",
        "route": "/connections/requests",
        "status": 404,
        "attempt": 1,
    }
    assert call_line["duration_ms"] > 0
    assert upstream.fake.requests[0].headers["x-request-id"] == "req-42"
    assert token not in logs.text


async def test_anonymous_and_invalid_requests_are_logged_too(
    start_api: ApiFactory, caplog: pytest.LogCaptureFixture, logs: CapturedLogs
) -> None:
    caplog.set_level("INFO")
    api = await start_api()

    await api.execute("{ viewer { flowUserId } }")
    await api.execute("{ nope }")

    lines = logs.events("graphql_request")
    assert [(line["error_codes"], line["flow_user_id"], line["root_field"]) for line in lines] == [
        (["UNAUTHORIZED"], None, "viewer"),
        (["GRAPHQL_VALIDATION_FAILED"], None, "invalid"),
    ]


async def test_health_and_metrics_are_not_logged_at_info(
    start_api: ApiFactory, caplog: pytest.LogCaptureFixture, logs: CapturedLogs
) -> None:
    caplog.set_level("INFO")
    api = await start_api()
    await api.http.get("/readyz")  # the first one fetches the signing keys, and says so once
    logs.clear()

    for _ in range(3):
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await api.http.get(path)).status_code == 200

    assert [line for line in logs.lines() if line["level"] == "info" and line["logger"].startswith("app")] == []
