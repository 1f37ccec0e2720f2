"""Rate limits declared per field: each declaration counts under its own keys and budget, named by
its settings; createConnection's keys are the ones replicas of earlier versions count under."""

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from app.auth import AuthInfo
from app.core.config import SharedStateSettings
from app.core.shared_state.rate_limits import FieldRateLimit, RateLimits, create_rate_limits
from app.core.shared_state.redis import SharedRedis
from app.errors import RateLimitedError
from app.graphql.connections.services.connection_request_service import CREATE_CONNECTION_LIMIT
from devstack.redis import RunningRedis

# Borrows createConnection's settings under a key of its own: the budget is the settings', the
# counters the declaration's.
OTHER_FIELD = FieldRateLimit(
    field="otherField",
    key="other_field",
    per_user_setting="rate_limit_create_connection_per_user",
    per_org_setting="rate_limit_create_connection_per_org",
)


@pytest.fixture(params=["in-process", "redis"])
async def limits(request: pytest.FixtureRequest) -> AsyncIterator[RateLimits]:
    if request.param == "in-process":
        yield create_rate_limits(
            SharedStateSettings(rate_limit_create_connection_per_user="2/minute"), SharedRedis(None)
        )
        return
    running: RunningRedis = request.getfixturevalue("redis_server")
    settings = SharedStateSettings(redis_url=running.url, rate_limit_create_connection_per_user="2/minute")
    client = redis.asyncio.Redis.from_url(running.url)
    yield create_rate_limits(settings, SharedRedis(client))
    await client.aclose()


def _caller() -> AuthInfo:
    return AuthInfo(access_token="opaque", flow_user_id=uuid.uuid4(), organization_id=f"org_{uuid.uuid4().hex}")  # noqa: S106


async def test_a_declared_budget_refuses_the_call_past_it_and_other_fields_count_apart(limits: RateLimits) -> None:
    caller = _caller()
    for _ in range(2):
        await limits.count(CREATE_CONNECTION_LIMIT, caller)

    with pytest.raises(RateLimitedError):
        await limits.count(CREATE_CONNECTION_LIMIT, caller)
    for _ in range(2):
        await limits.count(OTHER_FIELD, caller)  # the first field's full window is not this one's
    with pytest.raises(RateLimitedError):
        await limits.count(OTHER_FIELD, caller)


async def test_create_connection_counts_under_the_keys_earlier_versions_used(redis_server: RunningRedis) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    settings = SharedStateSettings(redis_url=redis_server.url)
    caller = _caller()
    try:
        await create_rate_limits(settings, SharedRedis(client)).count(CREATE_CONNECTION_LIMIT, caller)
        keys = sorted(key.decode() if isinstance(key, bytes) else key for key in await client.keys("*"))
    finally:
        await client.aclose()

    assert keys == [
        f"LIMITS:LIMITER/create_connection/org/{caller.organization_id}/200/1/minute",
        f"LIMITS:LIMITER/create_connection/user/{caller.flow_user_id}/20/1/minute",
    ]


async def test_a_declaration_naming_no_rate_setting_says_which() -> None:
    wrong = FieldRateLimit(field="f", key="f", per_user_setting="no_such_setting", per_org_setting="redis_timeout")
    limits = create_rate_limits(SharedStateSettings(), SharedRedis(None))
    with pytest.raises(TypeError, match="no_such_setting"):
        await limits.count(wrong, _caller())
