"""`python -m app` as a real process: configuration errors, serving, and a clean stop."""

import asyncio
import signal
from pathlib import Path

import httpx

from tests.e2e.process import api_process, app_environment, run_app_until_exit
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import json_lines


def test_missing_client_id_stops_startup_with_one_clear_line(tmp_path: Path) -> None:
    result = run_app_until_exit({"FLOW_CONNECT_API_URL": "https://flow.example"}, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "flow-api: configuration error: WORKOS_CLIENT_ID is required\n"


def test_plain_http_flow_connect_url_to_a_remote_host_stops_startup(tmp_path: Path) -> None:
    result = run_app_until_exit(
        {"WORKOS_CLIENT_ID": "client_x", "FLOW_CONNECT_API_URL": "http://api.flowrms.com"}, cwd=tmp_path
    )

    assert result.returncode == 2
    expected = "FLOW_CONNECT_API_URL is invalid: must use https (plain http is only allowed to a loopback host)"
    assert result.stderr == f"flow-api: configuration error: {expected}\n"


async def test_served_process_answers_viewer_and_stops_cleanly_on_sigterm(
    idp: RunningIdentityProvider, tmp_path: Path
) -> None:
    env = app_environment(idp, "http://127.0.0.1:9")
    # The IdP runs in this test's event loop, so the blocking helpers go to a thread.
    with api_process(env, cwd=tmp_path) as (url, process):
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ viewer { organizationId } }"},
                headers={"Authorization": f"Bearer {idp.token()}"},
            )
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 20)
        output = process.stdout.read() if process.stdout else ""

    assert response.json() == {"data": {"viewer": {"organizationId": "org_test"}}}
    assert returncode == 0
    assert "Application shutdown complete." in [line["event"] for line in json_lines(output)]


def test_unsupported_trace_exporter_stops_startup_with_one_clear_line(tmp_path: Path) -> None:
    result = run_app_until_exit(
        {
            "WORKOS_CLIENT_ID": "client_x",
            "FLOW_CONNECT_API_URL": "https://flow.example",
            "OTEL_TRACES_EXPORTER": "zipkin",
        },
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert result.stderr == (
        "flow-api: configuration error: OTEL_TRACES_EXPORTER is invalid: "
        "'zipkin' is not supported (use otlp, console or none)\n"
    )
