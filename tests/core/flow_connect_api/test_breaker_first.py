"""While the breaker is open, a mutation is refused before anything is locked or counted for it:
its Idempotency-Key is never locked (so no lock can outlive the refusal) and the caller's rate
budget is not spent (a client that honours Retry-After is not then told RATE_LIMITED)."""

from aioinject import Object

from app.core.config import SharedStateSettings
from app.core.flow_connect_api import FlowConnectBreaker
from app.core.flow_connect_api.breaker import BreakerPolicy
from tests.conftest import ApiFactory, RunningUpstream
from tests.core.flow_connect_api.test_breaker import FakeClock
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.metrics import delta, scrape
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

POLICY = BreakerPolicy(error_ratio=0.5, minimum_calls=2, window_seconds=10, open_seconds=5, half_open_probes=1)
BUDGET = 4  # per caller and minute: 2 calls open the breaker, so 2 are left


async def test_an_open_breaker_refuses_before_the_key_is_locked_or_the_budget_spent(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    clock = FakeClock()
    breaker = FlowConnectBreaker(POLICY, clock=clock)
    api = await start_api(
        shared_state=SharedStateSettings(rate_limit_create_connection_per_user=f"{BUDGET}/minute"),
        overrides=(Object(breaker, interface=FlowConnectBreaker),),
    )
    token = idp.token()
    upstream.fake.respond(503, b"{}")
    for _ in range(POLICY.minimum_calls):
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)
    before = await scrape(api.http)

    refused = [
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": f"k-{n}"})
        for n in range(5)
    ]
    after = await scrape(api.http)
    clock.now += POLICY.open_seconds
    upstream.fake.respond(201, b"{}")
    retried = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "k-0"})

    assert [response.error_codes for response in refused] == [["SERVICE_UNAVAILABLE"]] * 5
    assert delta(before, after, "flow_api_idempotency_total", outcome="not_stored") == 0  # never locked
    assert delta(before, after, "flow_api_rate_limited_total", scope="user") == 0
    assert retried.body == {"data": {"createConnection": True}}  # within the budget the refusals left
