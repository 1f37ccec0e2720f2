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


async def test_readyz_stays_ready_while_flow_connect_is_down(start_api: ApiFactory, logs: CapturedLogs) -> None:
    """Every replica shares Flow Connect: failing readiness on it would empty the load balancer."""
    port = free_port()
    api = await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{port}"))

    down = await api.http.get("/readyz")
    async with raw_upstream(_created, port=port):
        up = await api.http.get("/readyz")

    assert (down.status_code, down.json()) == (200, {"status": "ready"})
    assert (up.status_code, up.json()) == (200, {"status": "ready"})
    assert not logs.events("readiness_check_failed")


async def test_readyz_reports_missing_signing_keys(start_api: ApiFactory, workos_settings: WorkOSSettings) -> None:
    down = f"http://127.0.0.1:{free_port()}/sso/jwks/{TEST_CLIENT_ID}"
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_url": down}))

    response = await api.http.get("/readyz")

    assert response.status_code == 503
    assert response.json()["reasons"] == ["jwks"]
