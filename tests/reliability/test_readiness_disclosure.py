"""`/readyz` answers anyone: it names the failing checks, and only the log says where and why."""

from app.core.config import SharedStateSettings
from devstack.serving import free_port
from tests.conftest import ApiFactory
from tests.fixtures.logs import CapturedLogs


async def test_readyz_names_failing_checks_without_disclosing_the_store_address(
    start_api: ApiFactory, logs: CapturedLogs
) -> None:
    port = free_port()  # nothing listens: Redis refuses every PING
    api = await start_api(shared_state=SharedStateSettings(redis_url=f"redis://127.0.0.1:{port}/0"))

    response = await api.http.get("/readyz")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "reasons": ["redis"]})
    assert str(port) not in response.text
    logged = logs.events("readiness_check_failed")
    assert [(line["check"], line["detail"].startswith("Redis did not answer a PING: ")) for line in logged] == [
        ("redis", True)
    ]
