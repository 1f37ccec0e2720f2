"""`python -m app` as a real process: configuration errors, serving, and a clean stop."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.process import REPO_ROOT, api_process
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider


def test_missing_client_id_stops_startup_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "flow-api: configuration error: WORKOS_CLIENT_ID is required\n"


async def test_served_process_answers_viewer_and_stops_cleanly_on_sigterm(
    idp: RunningIdentityProvider, tmp_path: Path
) -> None:
    env = {"WORKOS_CLIENT_ID": TEST_CLIENT_ID, "WORKOS_JWKS_URL": idp.jwks_url, "WORKOS_ISSUER": idp.url}
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
    assert '"event": "Application shutdown complete."' in output
