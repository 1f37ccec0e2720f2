"""`/readyz` answers anyone: it names the failing checks, and only the log says where and why."""

from app.core.config import FlowConnectApiSettings
from devstack.serving import free_port
from tests.conftest import ApiFactory
from tests.fixtures.logs import CapturedLogs


async def test_readyz_names_failing_checks_without_disclosing_the_upstream_address(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    port = free_port()
    api = await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=f"http://127.0.0.1:{port}"))

    response = await api.http.get("/readyz")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "reasons": ["flow_connect"]})
    assert str(port) not in response.text
    logged = logs.events("readiness_check_failed")
    assert [(line["check"], f"127.0.0.1:{port}" in line["detail"]) for line in logged] == [("flow_connect", True)]
