"""`make image-check`: the image run as deploy/kubernetes/ says, against the dev identity provider
and the Flow Connect simulator on loopback.

The run flags come from the rendered Deployment (deploy/pod_run.py): its user, read-only root,
capabilities, no new privileges, memory and CPU limits, `/tmp` mount, grace period, and the
ConfigMap's environment with the dev stack's client id and URLs in place of its placeholders.
Each probe's path must answer as the kubelet expects (2xx or 3xx within the probe's timeout) on
the port the probe names; the plan's connection is created, a JSON line logged with the caller's
request id, and SIGTERM stops the container with exit 0 within the grace period, also when it
arrives while the container is still starting (before its log says start-up completed). HOST and
PORT are moved to a free port on loopback for the run, after the image's facts checked that the
environment the pod really gets (the image's, the pod's over it) listens where the probes look.
Run by scripts/image-check.sh, which builds the image and points podman at this machine's
settings. Whatever it started is removed at the end, also on failure.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

import httpx

from deploy.container_spec import ManifestError
from deploy.image_facts import Result, facts, image_environment, image_inspect
from deploy.manifests import KUSTOMIZATION, render
from deploy.pod_run import HttpProbe, PodRun, pod_run
from deploy.podman import CheckFailedError, podman
from deploy.stack import running_neighbours
from deploy.stop_while_starting import stops_while_starting
from devstack import seed
from devstack.serving import free_port

MUTATION = 'mutation { createConnection(targetOrgId: "9133da7c-3b98-4673-91dc-0dc58cc8740c") }'
REQUEST_ID = "image-check-1"


def container_arguments(*, name: str, image: str, pod: PodRun, environment: dict[str, str]) -> list[str]:
    """`podman run` or `podman create`'s arguments for the pod's container."""
    return [
        f"--name={name}",
        "--network=host",
        *pod.flags,
        *(f"--env={key}={value}" for key, value in environment.items()),
        image,
    ]


async def probe(client: httpx.AsyncClient, check: HttpProbe, port: int | None) -> httpx.Response | None:
    """The kubelet's HTTP probe: a GET on the pod's port; 2xx and 3xx are success."""
    if port is None:
        return None
    try:
        response = await client.get(f"http://{seed.HOST}:{port}{check.path}", timeout=check.timeout_seconds)
    except httpx.TransportError:
        return None
    return response if httpx.codes.OK <= response.status_code < httpx.codes.BAD_REQUEST else None


async def wait_started(client: httpx.AsyncClient, name: str, pod: PodRun, ports: dict[int, int]) -> None:
    first = pod.probes[0]
    deadline = time.monotonic() + pod.start_seconds
    while time.monotonic() < deadline:
        if (await podman("inspect", "--format={{.State.Running}}", name)).strip() != "true":
            raise CheckFailedError(f"the container stopped while starting:\n{await podman('logs', name)}")
        if await probe(client, first, ports.get(first.container_port)) is not None:
            return
        await asyncio.sleep(0.2)
    raise CheckFailedError(f"the {first.kind} on {first.path} did not pass within {pod.start_seconds}s")


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


async def serves_and_stops(
    arguments: list[str], name: str, pod: PodRun, *, image_port: int, port: int, token: str
) -> list[Result]:
    """`port` is where the container listens, standing for the image's own PORT."""
    ports = {image_port: port}
    results: list[Result] = []
    await podman("run", *arguments)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        await wait_started(client, name, pod, ports)
        for check in pod.probes:
            response = await probe(client, check, ports.get(check.container_port))
            answer = "no answer" if response is None else f"{response.status_code} {response.text[:60]}"
            label = f"{check.kind} GET {check.path} on container port {check.container_port}"
            results.append((label, response is not None, answer))
        response = await client.post(
            f"http://{seed.HOST}:{port}/graphql",
            json={"query": MUTATION},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": REQUEST_ID},
        )
        results.append(
            ("createConnection is true", response.json() == {"data": {"createConnection": True}}, response.text)
        )
    uid = (await podman("exec", name, "python", "-c", "import os; print(os.getuid())")).strip()
    user_ok = uid == str(pod.run_as_user) if pod.run_as_user is not None else uid not in {"", "0"}
    results.append(("runs as the Deployment's user", user_ok, f"uid {uid}"))
    results.append((f"JSON log line with request_id {REQUEST_ID}", request_logged(await podman("logs", name)), ""))
    started = time.monotonic()
    await podman("stop", name)  # waits the --stop-timeout the Deployment's grace period gave
    stopped_in = time.monotonic() - started
    exit_code = (await podman("inspect", "--format={{.State.ExitCode}}", name)).strip()
    label = f"SIGTERM: exit 0 within {pod.stop_seconds}s"
    results.append(
        (label, exit_code == "0" and stopped_in < pod.stop_seconds, f"exit {exit_code} after {stopped_in:.1f}s")
    )
    return results


async def check(image: str, name: str, pod: PodRun, *, image_port: int) -> list[Result]:
    """`image_port`: the port the container listens on as deployed (its PORT)."""
    port = free_port(seed.HOST)
    with tempfile.TemporaryDirectory(prefix="flow-api-image-check-") as state:
        async with running_neighbours(Path(state)) as neighbours:
            dev_stack = neighbours.api_environment()
            # The image listens on 0.0.0.0:PORT; on the host's network the check keeps it on loopback
            # and on a free port, which stands for the container port the image listens on.
            environment = {**pod.environment, **dev_stack, "HOST": seed.HOST, "PORT": str(port)}
            replaced = ", ".join(sorted(set(pod.environment) & set(dev_stack)))
            print(f"image-check: the ConfigMap's environment, with the dev stack's {replaced}")
            results: list[Result] = []
            starting = f"{name}-starting"
            try:
                arguments = container_arguments(name=starting, image=image, pod=pod, environment=environment)
                results.append(await stops_while_starting(arguments, starting))
                arguments = ["--detach", *container_arguments(name=name, image=image, pod=pod, environment=environment)]
                token = neighbours.token()
                results += await serves_and_stops(arguments, name, pod, image_port=image_port, port=port, token=token)
            finally:
                await podman("rm", "--force", "--ignore", name, starting, check=False)
    return results


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # As for Ctrl-C: unwind, so that the container and the simulator are removed.
    raise KeyboardInterrupt


def _printed(results: list[Result]) -> list[Result]:
    for name, ok, detail in results:
        print(f"image-check: {'PASS' if ok else 'FAIL'}  {name}{f'  ({detail})' if detail else ''}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.image_check", description=__doc__)
    parser.add_argument("--image", default="flow-api:latest")
    parser.add_argument("--name", default=f"flow-api-image-check-{os.getpid()}", help="the container's name")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.monotonic()
    inspected = image_inspect(args.image)
    try:
        pod = pod_run(render(KUSTOMIZATION))
        print(f"image-check: run as {KUSTOMIZATION.parent} says: {' '.join(pod.flags)}")
        results = _printed(facts(inspected["Config"], pod))
        # The port the deployed container listens on; a PORT at odds with the probes failed above.
        image_port = int({**image_environment(inspected["Config"]), **pod.environment}.get("PORT", "0"))
        results += _printed(asyncio.run(check(args.image, args.name, pod, image_port=image_port)))
    except (CheckFailedError, ManifestError, ValueError) as error:
        print(f"image-check: FAIL  {error}", file=sys.stderr)
        return 1
    size_mb = inspected["Size"] / 1e6
    print(f"image-check: {args.image} is {size_mb:.0f} MB; checked in {time.monotonic() - started:.1f}s")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
