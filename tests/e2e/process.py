import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.processes import stop_group
from devstack.serving import free_port
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider
from tests.fixtures.tls import CLIENT_TLS

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


def app_environment(idp: RunningIdentityProvider, flow_connect_url: str, **more: str) -> dict[str, str]:
    """`python -m app`'s environment for a test's identity provider and Flow Connect, plus `more`."""
    return {
        "WORKOS_CLIENT_ID": TEST_CLIENT_ID,
        "WORKOS_JWKS_URL": idp.jwks_url,
        "WORKOS_ISSUER": idp.url,
        "FLOW_CONNECT_API_URL": flow_connect_url,
        **more,
    }


@contextmanager
def api_process(
    env: Mapping[str, str], *, cwd: Path, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m app` as an operator runs it; yields its base URL once it answers.

    Its output is piped, or written to `log` for a chatty run (a full pipe would block it)."""
    url, process = _answering(_spawn(env, cwd=cwd, log=log), env, cwd=cwd, log=log)
    try:
        yield url, process
    finally:
        _stop(process)


@contextmanager
def api_replicas(env: Mapping[str, str], *, cwd: Path, count: int) -> Iterator[list[str]]:
    """`count` processes of `api_process`, started and stopped side by side rather than one after
    another; yields their base URLs once all of them answer."""
    waiting: list[tuple[str, subprocess.Popen[str]]] = []
    answering: list[tuple[str, subprocess.Popen[str]]] = []
    try:
        waiting.extend(_spawn(env, cwd=cwd, log=None) for _ in range(count))
        while waiting:  # one that never answers is stopped by `_answering`, and is in neither list
            answering.append(_answering(waiting.pop(0), env, cwd=cwd, log=None))
        yield [url for url, _ in answering]
    finally:
        with ThreadPoolExecutor(max_workers=max(count, 1)) as stopping:
            list(stopping.map(_stop, [process for _, process in answering + waiting]))


def _answering(
    first: tuple[str, subprocess.Popen[str]], env: Mapping[str, str], *, cwd: Path, log: Path | None
) -> tuple[str, subprocess.Popen[str]]:
    """`first` once it answers its own health check; started again on a fresh port, up to _SPAWNS
    times in all, while another server answers on the one chosen. Stopped if it never answers."""
    url, process = first
    for attempt in range(1, _SPAWNS + 1):
        try:
            _wait_until_listening(url, process)
        except _PortTakenError:
            _stop(process)
            if attempt == _SPAWNS:
                raise
            url, process = _spawn(env, cwd=cwd, log=log)
        except BaseException:
            _stop(process)
            raise
        else:
            return url, process
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _spawn(env: Mapping[str, str], *, cwd: Path, log: Path | None) -> tuple[str, subprocess.Popen[str]]:
    port = free_port()
    with contextlib.ExitStack() as files:  # the child keeps its own copy of the log's descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "app"],
            env=_environment({**env, "HOST": "127.0.0.1", "PORT": str(port)}),
            cwd=cwd,
            stdout=files.enter_context(log.open("w")) if log is not None else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            process_group=0,  # its workers and their resource tracker are stopped with it
        )
    return f"http://127.0.0.1:{port}", process


def _stop(process: subprocess.Popen[str]) -> None:
    stop_group(process)
    if process.stdout:
        process.stdout.close()


class _PortTakenError(AssertionError):
    """Another server answers on the port chosen for the app: taken between `free_port()` and the
    app's bind (the app then fails to bind). Another port is tried."""


# Tries with a fresh port each when another server took the one chosen.
_SPAWNS = 3


def _wait_until_listening(url: str, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Until the app answers its own health check: any other answer is another server's."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=1.0, verify=CLIENT_TLS) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"API exited with {process.returncode}:\n{output}")
            try:
                answer = client.get("/healthz")
            except httpx.TransportError:
                time.sleep(0.02)  # a refused connect costs next to nothing; every test waits out this gap
                continue
            if answer.status_code == 200 and "x-request-id" in answer.headers and answer.text == '{"status":"ok"}':
                return
            raise _PortTakenError(f"{url} is answered by another server: {answer.status_code} {answer.text[:200]!r}")
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
