"""`/healthz` and `/readyz`, which orchestrators poll without a token."""

from app.core.config import FlowConnectApiSettings, WorkOSSettings
from devstack.serving import free_port
from tests.conftest import ApiFactory
from tests.fixtures.identity import TEST_CLIENT_ID
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.raw_upstream import Exchange, raw_upstream


async def _created(exchange: Exchange) -> None:
    await exchange.respond(201, b"{}")


async def test_healthz_answers_without_any_dependency(start_api: ApiFactory) -> None:
    nothing_listens = FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{free_port()}")
    api = await start_api(flow_connect=nothing_listens)

    response = await api.http.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_follows_flow_connect_going_down_and_coming_back(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    port = free_port()
    api = await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{port}"))

    down = await api.http.get("/readyz")
    async with raw_upstream(_created, port=port):
        up = await api.http.get("/readyz")
    down_again = await api.http.get("/readyz")

    assert (down.status_code, down.json()) == (503, {"status": "unavailable", "reasons": ["flow_connect"]})
    assert (up.status_code, up.json()) == (200, {"status": "ready"})
    assert down_again.status_code == 503
    assert not [line for line in logs.lines() if line["level"] == "info" and "readyz" in str(line)]


async def test_readyz_reports_missing_signing_keys(start_api: ApiFactory, workos_settings: WorkOSSettings) -> None:
    down = f"http://127.0.0.1:{free_port()}/sso/jwks/{TEST_CLIENT_ID}"
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_url": down}))

    response = await api.http.get("/readyz")

    assert response.status_code == 503
    assert response.json()["reasons"] == ["jwks"]
