"""The identity provider's JWKS endpoint going down must not take valid callers down with it."""

import asyncio

from app.core.config import WorkOSSettings
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.serving import free_port, running_server
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.identity import TEST_CLIENT_ID
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX


async def test_cached_key_keeps_working_while_jwks_is_down(
    start_api: ApiFactory, signing_key: SigningKey, upstream: RunningUpstream, logs: CapturedLogs
) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    workos = WorkOSSettings(
        workos_client_id=TEST_CLIENT_ID,
        workos_jwks_url=f"{issuer}/sso/jwks/{TEST_CLIENT_ID}",
        workos_issuer=(issuer,),
        workos_jwks_min_refresh_interval=0,
        workos_jwks_cache_ttl=0.05,  # stale almost at once, so the next call tries to refresh
    )
    api = await start_api(workos=workos)
    token = mint_token(signing_key, issuer=issuer, sub="user_1")
    idp = IdentityProvider(client_id=TEST_CLIENT_ID, keys=[signing_key])
    async with running_server(idp.asgi_app(), port=port):
        assert (await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)).body == {
            "data": {"createConnection": True}
        }
    await asyncio.sleep(0.1)

    # A token not seen before, so it is verified against the cached key, not remembered.
    response = await api.execute(
        CREATE_CONNECTION_TO_GLOBEX, token=mint_token(signing_key, issuer=issuer, sub="user_2")
    )

    assert response.body == {"data": {"createConnection": True}}
    assert idp.jwks_requests == 1
    # The cached key answered at once; the refresh it started runs on its own. /readyz joins
    # a refresh in flight, so once it answers that refresh has failed.
    readiness = await api.http.get("/readyz")
    assert readiness.json() == {"status": "unavailable", "reasons": ["jwks"]}
    assert logs.events("jwks_refresh_failed")
    assert len(upstream.fake.requests) == 2


async def test_no_usable_key_is_service_unavailable_and_nothing_is_sent(
    start_api: ApiFactory, workos_settings: WorkOSSettings, signing_key: SigningKey, upstream: RunningUpstream
) -> None:
    down = f"http://127.0.0.1:{free_port()}/sso/jwks/{TEST_CLIENT_ID}"
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_url": down}))
    token = mint_token(signing_key, issuer=workos_settings.workos_issuer[0], sub="user_1")

    response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)

    assert response.error_codes == ["SERVICE_UNAVAILABLE"]
    assert "identity provider" in response.error_messages[0]
    assert upstream.fake.requests == []
