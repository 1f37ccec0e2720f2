"""`make run` next to other programs: a busy port is named in one line, and another program
answering on our port never passes for our server."""

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devstack.processes import stop_group_async
from devstack.serving import ServerGroup, free_port
from devstack.startup import StartupError, answers_with_pid, api_accepts, wait_until_ready
from tests.e2e.process import REPO_ROOT

ENV = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("option", "name", "variable"),
    [
        ("--api-port", "the API", "API_PORT"),
        ("--idp-port", "the identity provider", "IDP_PORT"),
        ("--flow-connect-port", "the Flow Connect simulator", "FLOW_CONNECT_PORT"),
    ],
)
async def test_a_busy_port_is_named_in_one_line_and_nothing_starts(
    busy_port: int, option: str, name: str, variable: str, tmp_path: Path
) -> None:
    ports = {flag: free_port() for flag in ("--api-port", "--idp-port", "--flow-connect-port")} | {option: busy_port}
    stack = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "devstack", "run"),
        *(f"{flag}={port}" for flag, port in ports.items()),
        cwd=tmp_path,
        env=ENV,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        process_group=0,
    )
    try:
        stdout, stderr = await asyncio.wait_for(stack.communicate(), 20)
    finally:
        await stop_group_async(stack)

    assert stack.returncode == 1
    assert stdout == b""
    assert stderr.decode() == (
        f"devstack: port {busy_port} ({name}) is already in use by another program; "
        f"stop it, or choose another port: make run {variable}=<port>\n"
    )
    assert not (tmp_path / ".dev").exists(), "nothing was set up"


def test_make_run_passes_the_ports_on() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "API_PORT=18000", "IDP_PORT=18001", "FLOW_CONNECT_PORT=18002"],  # noqa: S607
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "-m devstack run --api-port=18000 --idp-port=18001 --flow-connect-port=18002" in dry_run.stdout


def _foreign_app(hits: list[str]) -> Starlette:
    """Another program on our port: a healthy server that is not ours."""

    async def anything(request: Request) -> JSONResponse:
        hits.append(request.url.path)
        return JSONResponse({"status": "ok", "pid": 1, "data": {"viewer": {"organizationId": "someone else's"}}})

    return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


async def test_a_foreign_server_on_the_api_port_is_not_taken_for_the_api(servers: ServerGroup, tmp_path: Path) -> None:
    hits: list[str] = []
    url = await servers.start(_foreign_app(hits))
    env = {
        **ENV,
        "HOST": "127.0.0.1",
        "PORT": url.rsplit(":", 1)[1],
        "WORKOS_CLIENT_ID": "client_flow_dev",
        "FLOW_CONNECT_API_URL": "http://127.0.0.1:9",
    }
    # Ours cannot bind the port the other program holds.
    api = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", cwd=tmp_path, env=env, stderr=asyncio.subprocess.DEVNULL, process_group=0
    )
    try:
        with pytest.raises(StartupError) as raised:
            await wait_until_ready(api, "the API", api_accepts(url, "a-token"))
    finally:
        await stop_group_async(api)

    # 3: uvicorn could not start.
    assert str(raised.value) == "the API exited with status 3 before it was ready"
    assert "/graphql" in hits, "the other program answered, and was not believed"


async def test_a_foreign_server_on_the_simulator_port_is_not_taken_for_the_simulator(
    servers: ServerGroup, tmp_path: Path
) -> None:
    hits: list[str] = []
    url = await servers.start(_foreign_app(hits))
    simulator = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "devstack.flow_connect", f"--port={url.rsplit(':', 1)[1]}"),
        *("--jwks-url=http://127.0.0.1:9/jwks", "--issuer=http://127.0.0.1:9"),
        cwd=tmp_path,
        env=ENV,
        stderr=asyncio.subprocess.DEVNULL,
        process_group=0,
    )
    try:
        with pytest.raises(StartupError) as raised:
            await wait_until_ready(simulator, "the simulator", answers_with_pid(url, simulator.pid))
    finally:
        await stop_group_async(simulator)

    assert str(raised.value) == "the simulator exited with status 3 before it was ready"
    assert "/healthz" in hits, "the other program answered, and was not believed"
