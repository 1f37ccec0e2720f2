"""Per-caller and per-organization limits on createConnection, with either store."""

import asyncio

from tests.conftest import RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.graphql.shared_state.conftest import StoreApi


async def test_over_the_per_user_limit_nothing_is_sent_and_the_client_learns_when_to_retry(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api(per_user="2/minute")
    token = idp.token(sub="eager")

    answers = [await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token) for _ in range(3)]

    assert [answer.error_codes for answer in answers] == [[], [], ["RATE_LIMITED"]]
    retry_after = answers[2].error_extensions[0]["retryAfter"]
    assert isinstance(retry_after, int)
    assert 1 <= retry_after <= 60
    assert answers[2].http.headers["retry-after"] == str(retry_after)
    assert len(upstream.fake.requests) == 2
    other_user = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(sub="patient"))
    assert other_user.body == {"data": {"createConnection": True}}


async def test_the_organization_limit_counts_all_its_users(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api(per_org="3/hour")

    answers = [
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(sub=f"user_{n}", org_id="org_busy"))
        for n in range(4)
    ]
    elsewhere = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(sub="user_9", org_id="org_calm"))

    assert [answer.error_codes for answer in answers] == [[], [], [], ["RATE_LIMITED"]]
    assert elsewhere.body == {"data": {"createConnection": True}}
    assert len(upstream.fake.requests) == 4


async def test_a_replayed_answer_does_not_count(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api(per_user="2/minute")
    token = idp.token(sub="retrier")
    key = {"Idempotency-Key": "once-1"}

    replays = [await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers=key) for _ in range(4)]
    fresh = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)

    assert all(replay.body == {"data": {"createConnection": True}} for replay in replays)
    assert fresh.body == {"data": {"createConnection": True}}
    assert len(upstream.fake.requests) == 2


async def test_a_limited_request_is_not_stored_under_its_key(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api(per_user="1/second")
    token = idp.token(sub="hasty")
    await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)

    limited = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "later-1"})
    await asyncio.sleep(limited.error_extensions[0]["retryAfter"])  # as the client is told to
    retried = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers={"Idempotency-Key": "later-1"})

    assert limited.error_codes == ["RATE_LIMITED"]
    assert retried.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in retried.http.headers
    assert len(upstream.fake.requests) == 2
