from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from app.core.config import SharedStateSettings
from tests.conftest import ApiFactory
from tests.fixtures.graphql_client import GraphQLClient

if TYPE_CHECKING:
    from devstack.redis import RunningRedis

StoreApi = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture(params=["in-process", "redis"])
def start_store_api(request: pytest.FixtureRequest, start_api: ApiFactory) -> StoreApi:
    """The API with its shared state in this process, or in a real Redis-protocol server."""

    async def start(*, per_user: str = "20/minute", per_org: str = "200/minute") -> GraphQLClient:
        redis_url = None
        if request.param == "redis":
            redis: RunningRedis = request.getfixturevalue("redis_server")
            redis_url = redis.url
        shared_state = SharedStateSettings(
            redis_url=redis_url,
            rate_limit_create_connection_per_user=per_user,
            rate_limit_create_connection_per_org=per_org,
        )
        return await start_api(shared_state=shared_state)

    return start
