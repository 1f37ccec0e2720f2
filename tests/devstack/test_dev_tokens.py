"""`GET /dev/token`: fresh dev tokens the API accepts, readable only from the API's origins."""

import httpx
from starlette.applications import Starlette

from devstack.dev_tokens import DEV_TOKEN_PATH, dev_token_route
from devstack.serving import ServerGroup
from tests.conftest import ApiFactory
from tests.fixtures.identity import RunningIdentityProvider

API_ORIGIN = "http://127.0.0.1:8000"


async def _token_endpoint(servers: ServerGroup, idp: RunningIdentityProvider) -> str:
    route = dev_token_route(mint=lambda: idp.token(org_id="org_test"), ttl_seconds=3600, allow_origins=[API_ORIGIN])
    return await servers.start(Starlette(routes=[route])) + DEV_TOKEN_PATH


async def test_each_call_mints_a_fresh_token_the_api_accepts(
    servers: ServerGroup, idp: RunningIdentityProvider, start_api: ApiFactory
) -> None:
    url = await _token_endpoint(servers, idp)
    api = await start_api()

    async with httpx.AsyncClient() as client:
        first, second = (await client.get(url)).json(), (await client.get(url)).json()
    viewer = await api.execute("{ viewer { organizationId } }", token=first["token"])

    assert first["token"] != second["token"]
    assert set(first) == {"token", "token_type", "expires_in"}
    assert first["expires_in"] == 3600
    assert viewer.data == {"viewer": {"organizationId": "org_test"}}


async def test_only_the_api_origin_may_read_it_from_a_browser(
    servers: ServerGroup, idp: RunningIdentityProvider
) -> None:
    url = await _token_endpoint(servers, idp)

    async with httpx.AsyncClient() as client:
        ours = await client.get(url, headers={"Origin": API_ORIGIN})
        theirs = await client.get(url, headers={"Origin": "https://evil.example"})

    assert ours.headers["access-control-allow-origin"] == API_ORIGIN
    assert ours.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in theirs.headers
