"""The breaker as a client of the API sees it, through the real app over real HTTP: the open
answer and its Retry-After, readiness, Idempotency-Keys, the metrics and the log lines."""

from aioinject import Object

from app.core.config import FlowConnectApiSettings
from app.core.flow_connect_api import FlowConnectBreaker
from app.core.flow_connect_api.breaker import BreakerPolicy
from tests.conftest import ApiFactory, RunningUpstream
from tests.core.flow_connect_api.test_breaker import FakeClock
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.metrics import delta, scrape
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

MINIMUM = 3
POLICY = BreakerPolicy(error_ratio=0.5, minimum_calls=MINIMUM, window_seconds=10, open_seconds=5, half_open_probes=1)
OPEN_MESSAGE = "Flow Connect is failing; the request was not sent."


async def _api_with_breaker(start_api: ApiFactory, clock: FakeClock) -> GraphQLClient:
    breaker = FlowConnectBreaker(POLICY, clock=clock)
    return await start_api(overrides=(Object(breaker, interface=FlowConnectBreaker),))


async def _open(api: GraphQLClient, upstream: RunningUpstream, token: str) -> None:
    upstream.fake.respond(503, b"{}")
    for _ in range(MINIMUM):
        failed = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)
        assert failed.error_extensions == [{"code": "REMOTE_API_ERROR", "statusCode": 503}]


async def test_while_open_a_mutation_is_answered_at_once_with_retry_after_and_nothing_is_sent(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await _api_with_breaker(start_api, FakeClock())
    await _open(api, upstream, idp.token())
    sent = len(upstream.fake.requests)

    refused = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())
    ready = await api.http.get("/readyz")

    assert refused.http.status_code == 200
    assert refused.error_messages == [OPEN_MESSAGE]
    assert refused.error_extensions == [{"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}]
    assert refused.http.headers["retry-after"] == "5"
    assert len(upstream.fake.requests) == sent
    # Flow Connect failing is no reason to take this replica out of the load balancer.
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_a_key_refused_while_open_is_not_stored_and_its_retry_is_sent_once_closed(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    clock = FakeClock()
    api = await _api_with_breaker(start_api, clock)
    await _open(api, upstream, idp.token())
    key = {"Idempotency-Key": "breaker-1"}

    refused = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=key)
    sent = len(upstream.fake.requests)
    clock.now += POLICY.open_seconds
    upstream.fake.respond(201, b"{}")
    retried = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=key)
    replayed = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=key)

    assert refused.error_codes == ["SERVICE_UNAVAILABLE"]
    assert retried.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in retried.http.headers
    assert len(upstream.fake.requests) == sent + 1  # the retry was sent, and only once
    assert replayed.http.headers["idempotent-replayed"] == "true"


async def test_metrics_and_one_log_line_per_transition(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream, logs: CapturedLogs
) -> None:
    clock = FakeClock()
    api = await _api_with_breaker(start_api, clock)
    before = await scrape(api.http)

    await _open(api, upstream, idp.token())
    for _ in range(2):
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())
    opened = await scrape(api.http)
    clock.now += POLICY.open_seconds
    upstream.fake.respond(201, b"{}")
    await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())
    closed = await scrape(api.http)

    transitions = "flow_api_flow_connect_breaker_transitions_total"
    short_circuited = "flow_api_flow_connect_breaker_short_circuited_total"
    assert opened[("flow_api_flow_connect_breaker_state", frozenset())] == 2  # open
    assert delta(before, opened, transitions, state="open") == 1
    assert delta(before, opened, short_circuited) == 2  # the two refused
    assert closed[("flow_api_flow_connect_breaker_state", frozenset())] == 0
    assert (
        delta(opened, closed, transitions, state="half_open") == delta(opened, closed, transitions, state="closed") == 1
    )
    assert delta(opened, closed, short_circuited) == 0
    lines = logs.events("flow_connect_breaker_transition")
    assert [(line["state"], line["previous_state"], line["level"]) for line in lines] == [
        ("open", "closed", "warning"),
        ("half_open", "open", "info"),
        ("closed", "half_open", "info"),
    ]
    assert (lines[0]["failures"], lines[0]["calls"], lines[0]["open_seconds"]) == (MINIMUM, MINIMUM, 5)


async def test_turned_off_every_call_is_sent_however_many_fail(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    settings = FlowConnectApiSettings(
        flow_connect_api_url=upstream.url, flow_connect_breaker_enabled=False, flow_connect_breaker_minimum_calls=1
    )
    api = await start_api(flow_connect=settings)
    upstream.fake.respond(503, b"{}")

    answers = [await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token()) for _ in range(5)]

    assert [answer.error_codes for answer in answers] == [["REMOTE_API_ERROR"]] * 5
    assert len(upstream.fake.requests) == 5  # every one of them
