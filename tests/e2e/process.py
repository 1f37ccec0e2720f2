import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.processes import stop_group
from devstack.serving import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
# The least `python -m app` starts with: its identity provider and Flow Connect are unreachable
# (port 9, discard), for tests of what the API answers before either is needed.
UNREACHABLE_DEPENDENCIES = {
    "WORKOS_CLIENT_ID": "client_test",
    "WORKOS_JWKS_URL": "http://127.0.0.1:9/jwks",
    "FLOW_CONNECT_API_URL": "http://127.0.0.1:9",
}


def _environment(env: Mapping[str, str]) -> dict[str, str]:
    # Only what the test names: the developer's own variables must not leak in.
    return {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT), **env}


def run_app_until_exit(env: Mapping[str, str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app"],
        env=_environment(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@contextmanager
def api_process(
    env: Mapping[str, str], *, cwd: Path, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m app` as an operator runs it; yields its base URL once it answers.

    Its output is piped, or written to `log` for a chatty run (a full pipe would block it)."""
    port = free_port()
    with contextlib.ExitStack() as files:
        output = files.enter_context(log.open("w")) if log is not None else subprocess.PIPE
        process = subprocess.Popen(
            [sys.executable, "-m", "app"],
            env=_environment({**env, "HOST": "127.0.0.1", "PORT": str(port)}),
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            process_group=0,  # its workers and their resource tracker are stopped with it
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(url, process)
        yield url, process
    finally:
        stop_group(process)
        if process.stdout:
            process.stdout.close()


def _wait_until_listening(url: str, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"API exited with {process.returncode}:\n{output}")
        try:
            httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"API did not answer on {url} within {timeout}s")


@contextmanager
def dev_stack(cwd: Path) -> Iterator[tuple[str, str]]:
    """`make run` on free ports in `cwd`; yields the API's base URL and a dev token."""
    ports = {name: str(free_port()) for name in ("--api-port", "--idp-port", "--flow-connect-port")}
    args = [arg for name, port in ports.items() for arg in (name, port)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "devstack", "run", *args],
        env=_environment({}),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Ctrl-C stops everything" in line:
                break
        else:
            raise AssertionError(f"devstack exited with {process.wait()} before it was ready")
        token = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "devstack", "token", "--idp-port", ports["--idp-port"]],
            env=_environment({}),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        yield f"http://127.0.0.1:{ports['--api-port']}", token
    finally:
        stop_group(process)
        if process.stdout:
            process.stdout.close()
