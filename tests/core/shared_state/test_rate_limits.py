"""Rate limits declared per field: each declaration counts under its own keys and budget, named by
its settings; createConnection's keys are the ones replicas of earlier versions count under."""

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from app.auth import AuthInfo
from app.core.config import SharedStateSettings
from app.core.config.shared_state_settings import Rate
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


@pytest.mark.parametrize(
    ("per_user", "per_org", "named"),
    [
        ("rate_limit_create_conection_per_user", "rate_limit_create_connection_per_org", "_conection_"),  # misspelt
        ("rate_limit_create_connection_per_user", "redis_timeout", "redis_timeout"),  # a setting, but no Rate
    ],
)
def test_a_declaration_naming_no_rate_setting_fails_as_it_is_made(per_user: str, per_org: str, named: str) -> None:
    with pytest.raises(TypeError, match=f"createThing's rate limit names .*{named}.* SharedStateSettings") as raised:
        FieldRateLimit(field="createThing", key="create_thing", per_user_setting=per_user, per_org_setting=per_org)

    assert "rate_limit_create_connection_per_user" in str(raised.value)  # the names it could have meant


class _MoreSettings(SharedStateSettings):
    rate_limit_more_per_user: Rate = "5/minute"


async def test_a_declaration_for_other_settings_counted_with_these_says_which() -> None:
    more = FieldRateLimit(
        field="more",
        key="more",
        per_user_setting="rate_limit_more_per_user",
        per_org_setting="rate_limit_create_connection_per_org",
        settings=_MoreSettings,
    )
    limits = create_rate_limits(SharedStateSettings(), SharedRedis(None))
    with pytest.raises(TypeError, match="rate_limit_more_per_user"):
        await limits.count(more, _caller())
