"""`/metrics` after real traffic: each counter moves by exactly what happened."""

from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.metrics import delta, scrape
from tests.fixtures.operations import GLOBEX

CREATE_ROUTE = "POST /connections/requests"  # calls are labelled by route template

CREATE = "mutation Create($target: ID!) { createConnection(targetOrgId: $target) }"


async def test_counters_move_by_exactly_the_traffic(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_api()
    token = idp.token()
    before = await scrape(api.http)

    for status, body in [(201, b"{}"), (201, b"{}"), (404, b"{}"), (500, b"oops"), (500, b"oops"), (500, b"oops")]:
        upstream.fake.respond(status, body)
        await api.execute(CREATE, token=token, variables={"target": GLOBEX})
    await api.execute("{ nope }")

    after = await scrape(api.http)
    requests = "flow_api_graphql_requests_total"
    mutation = {"operation_type": "mutation", "operation": "createConnection"}
    assert delta(before, after, requests, **mutation, outcome="OK") == 2
    assert delta(before, after, requests, **mutation, outcome="NOT_FOUND") == 1
    assert delta(before, after, requests, **mutation, outcome="REMOTE_API_ERROR") == 3
    assert (
        delta(before, after, requests, operation_type="query", operation="invalid", outcome="GRAPHQL_VALIDATION_FAILED")
        == 1
    )
    assert delta(before, after, "flow_api_graphql_request_duration_seconds_count", **mutation) == 6
    calls = "flow_api_flow_connect_requests_total"
    assert delta(before, after, calls, route=CREATE_ROUTE, status_class="2xx") == 2
    assert delta(before, after, calls, route=CREATE_ROUTE, status_class="4xx") == 1
    assert delta(before, after, calls, route=CREATE_ROUTE, status_class="5xx") == 3
    assert (
        delta(
            before,
            after,
            "flow_api_flow_connect_request_duration_seconds_count",
            route=CREATE_ROUTE,
            status_class="5xx",
        )
        == 3
    )


async def test_jwks_refreshes_and_failures_are_counted(start_api: ApiFactory, idp: RunningIdentityProvider) -> None:
    api = await start_api()
    before = await scrape(api.http)

    await api.execute("{ viewer { flowUserId } }", token=idp.token())

    after = await scrape(api.http)
    assert delta(before, after, "flow_api_jwks_refreshes_total", result="ok") == 1
    assert delta(before, after, "flow_api_jwks_refreshes_total", result="failure") == 0
