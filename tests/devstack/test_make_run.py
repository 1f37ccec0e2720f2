"""What a newcomer gets from `make run`: the stack starts, prints a token and a curl that work."""

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import httpx

from devstack import seed
from devstack.processes import stop_group_async
from devstack.serving import free_port
from tests.e2e.process import REPO_ROOT


async def _read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen: list[str] = []
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("devstack ended early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return "".join(seen)


async def _run_curl(line: str) -> Any:
    """Run a printed curl line exactly as a newcomer would paste it."""
    process = await asyncio.create_subprocess_exec(*shlex.split(line), stdout=asyncio.subprocess.PIPE)
    stdout, _ = await process.communicate()
    return json.loads(stdout)


async def test_dev_stack_prints_a_working_token_and_curl_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    api_port, idp_port, flow_connect_port = free_port(), free_port(), free_port()
    stack = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devstack",
        "run",
        f"--api-port={api_port}",
        f"--idp-port={idp_port}",
        f"--flow-connect-port={flow_connect_port}",
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        process_group=0,
    )
    assert stack.stdout is not None
    try:
        output = await asyncio.wait_for(_read_until(stack.stdout, "Ctrl-C stops everything"), 30)
        viewer_curl, connect_curl = [line for line in output.splitlines() if line.startswith("curl -s")]
        viewer = await _run_curl(viewer_curl)
        connected = await _run_curl(connect_curl)
        connected_again = await _run_curl(connect_curl)
        async with httpx.AsyncClient() as client:
            graphiql = await client.get(f"http://127.0.0.1:{api_port}/graphql", headers={"Accept": "text/html"})
            # The page's "Get a fresh dev token": the identity provider's endpoint, for the API's origin.
            fresh = await client.get(
                f"http://127.0.0.1:{idp_port}/dev/token", headers={"Origin": f"http://127.0.0.1:{api_port}"}
            )
            fresh_viewer = await client.post(
                f"http://127.0.0.1:{api_port}/graphql",
                json={"query": "{ viewer { organizationId } }"},
                headers={"Authorization": f"Bearer {fresh.json()['token']}"},
            )
        stack.send_signal(signal.SIGINT)
        returncode = await asyncio.wait_for(stack.wait(), 20)
    finally:
        await stop_group_async(stack)

    assert viewer["data"]["viewer"]["organizationId"] == seed.DEV_ORG_ID
    assert re.fullmatch(r"[0-9a-f-]{36}", viewer["data"]["viewer"]["flowUserId"])
    assert connected == {"data": {"createConnection": True}}
    assert [e["extensions"]["code"] for e in connected_again["errors"]] == ["CONFLICT"]
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert f'"devTokenUrl": "http://127.0.0.1:{idp_port}/dev/token"' in graphiql.text
    assert fresh.headers["access-control-allow-origin"] == f"http://127.0.0.1:{api_port}"
    assert fresh_viewer.json() == {"data": {"viewer": {"organizationId": seed.DEV_ORG_ID}}}
    assert returncode == 0
    assert (tmp_path / seed.KEY_FILE).stat().st_mode & 0o777 == 0o600


async def test_make_token_signs_with_the_persisted_dev_key(tmp_path: Path) -> None:
    async def token() -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "devstack",
            "token",
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)},
            stdout=asyncio.subprocess.PIPE,
        )
        stdout, _ = await process.communicate()
        return stdout.decode().strip()

    first, second = await token(), await token()

    assert first != second, "each call mints a fresh token"
    assert first.split(".")[0] == second.split(".")[0], "same header: same key id, so the key was reused"
