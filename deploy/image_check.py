"""`make image-check`: the image run as an orchestrator runs it, against the dev identity provider
and the Flow Connect simulator on loopback.

The container gets a read-only root filesystem with no tmpfs at all, every capability dropped,
no new privileges, and the image's own non-root user. It must answer `/healthz` and `/readyz`,
create the plan's connection, log a JSON line with the caller's request id, and exit 0 within
the grace period after SIGTERM. Run by scripts/image-check.sh, which builds the image and points
podman at this machine's settings. Whatever it started is removed at the end, also on failure.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

import httpx

from deploy.stack import Neighbours, running_neighbours
from devstack import seed
from devstack.serving import free_port

MUTATION = 'mutation { createConnection(targetOrgId: "9133da7c-3b98-4673-91dc-0dc58cc8740c") }'
REQUEST_ID = "image-check-1"
NON_ROOT_UID = "10001"
START_SECONDS = 30.0


class CheckFailedError(Exception):
    """The image did not behave; the message says how."""


async def podman(*args: str, check: bool = True) -> str:
    completed = await asyncio.to_thread(
        subprocess.run,
        ["podman", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and completed.returncode != 0:
        raise CheckFailedError(
            f"podman {' '.join(args[:2])} failed ({completed.returncode}): {completed.stderr.strip()}"
        )
    return completed.stdout


def run_arguments(*, image: str, name: str, port: int, neighbours: Neighbours) -> list[str]:
    environment = {
        **neighbours.api_environment(),
        # The image listens on 0.0.0.0:8080; on the host's network the check keeps it on loopback.
        "HOST": seed.HOST,
        "PORT": str(port),
    }
    return [
        "run",
        "--detach",
        f"--name={name}",
        "--network=host",
        "--read-only",
        "--read-only-tmpfs=false",  # not even /tmp: one worker writes nothing
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        *(f"--env={key}={value}" for key, value in environment.items()),
        image,
    ]


async def wait_healthy(client: httpx.AsyncClient, name: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if (await podman("inspect", "--format={{.State.Running}}", name)).strip() != "true":
            raise CheckFailedError(f"the container stopped while starting:\n{await podman('logs', name)}")
        try:
            if (await client.get("/healthz")).status_code == httpx.codes.OK:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise CheckFailedError(f"no answer on /healthz within {START_SECONDS:.0f}s")


def request_logged(logs: str) -> bool:
    """A JSON log line carries the caller's request id."""
    for line in logs.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("request_id") == REQUEST_ID:
            return True
    return False


async def check(image: str, name: str, grace: int) -> list[tuple[str, bool, str]]:
    results: list[tuple[str, bool, str]] = []
    port = free_port(seed.HOST)
    with tempfile.TemporaryDirectory(prefix="flow-api-image-check-") as state:
        async with running_neighbours(Path(state)) as neighbours:
            try:
                await podman(*run_arguments(image=image, name=name, port=port, neighbours=neighbours))
                async with httpx.AsyncClient(
                    base_url=f"http://{seed.HOST}:{port}", timeout=10, trust_env=False
                ) as client:
                    await wait_healthy(client, name)
                    results.append(("/healthz 200", True, "with a read-only root and no tmpfs"))
                    readyz = await client.get("/readyz")
                    results.append(("/readyz 200", readyz.status_code == httpx.codes.OK, readyz.text))
                    response = await client.post(
                        "/graphql",
                        json={"query": MUTATION},
                        headers={"Authorization": f"Bearer {neighbours.token()}", "X-Request-ID": REQUEST_ID},
                    )
                    created = response.json() == {"data": {"createConnection": True}}
                    results.append(("createConnection is true", created, response.text))
                uid = (await podman("exec", name, "python", "-c", "import os; print(os.getuid())")).strip()
                results.append(("runs as a non-root user", uid == NON_ROOT_UID, f"uid {uid}"))
                logs = await podman("logs", name)
                results.append((f"JSON log line with request_id {REQUEST_ID}", request_logged(logs), ""))
                started = time.monotonic()
                await podman("stop", f"--time={grace}", name)
                stopped_in = time.monotonic() - started
                exit_code = (await podman("inspect", "--format={{.State.ExitCode}}", name)).strip()
                results.append(
                    (
                        f"SIGTERM: exit 0 within {grace}s",
                        exit_code == "0" and stopped_in < grace,
                        f"exit {exit_code} after {stopped_in:.1f}s",
                    )
                )
            finally:
                await podman("rm", "--force", "--ignore", name, check=False)
    return results


def image_facts(image: str) -> list[tuple[str, bool, str]]:
    """What an orchestrator relies on from the image's own configuration."""
    inspected = subprocess.run(
        ["podman", "image", "inspect", image],
        capture_output=True,
        text=True,
        check=True,
    )
    config = json.loads(inspected.stdout)[0]["Config"]
    env = dict(item.split("=", 1) for item in config.get("Env", []))
    user = config.get("User", "")
    return [
        ("image user is numeric and not root", user.split(":")[0] == NON_ROOT_UID, user),
        ("HOST=0.0.0.0, PORT=8080", (env.get("HOST"), env.get("PORT")) == ("0.0.0.0", "8080"), ""),  # noqa: S104
        ("STOPSIGNAL SIGTERM", config.get("StopSignal") == "SIGTERM", str(config.get("StopSignal"))),
    ]


def image_size_mb(image: str) -> float:
    size = subprocess.run(
        ["podman", "image", "inspect", "--format={{.Size}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(size.stdout) / 1e6


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # As for Ctrl-C: unwind, so that the container and the simulator are removed.
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.image_check", description=__doc__)
    parser.add_argument("--image", default="flow-api:latest")
    parser.add_argument("--name", default=f"flow-api-image-check-{os.getpid()}", help="the container's name")
    parser.add_argument("--grace", type=int, default=15, help="seconds podman stop waits before SIGKILL")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    try:
        results = image_facts(args.image) + asyncio.run(check(args.image, args.name, args.grace))
    except CheckFailedError as error:
        print(f"image-check: FAIL  {error}", file=sys.stderr)
        return 1
    for name, ok, detail in results:
        print(f"image-check: {'PASS' if ok else 'FAIL'}  {name}{f'  ({detail})' if detail else ''}")
    print(
        f"image-check: {args.image} is {image_size_mb(args.image):.0f} MB; checked in {time.monotonic() - started:.1f}s"
    )
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
