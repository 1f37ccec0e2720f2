"""`make fleet`: FLEET_SIZE replicas of `python -m app` (default 3) behind nginx, with the dev
identity provider and the Flow Connect simulator, all on 127.0.0.1. Ctrl-C stops everything.

Each replica gets this process's environment, the dev stack's addresses, its own port and the
shared store: the `REDIS_URL` given to `make fleet`, else a Valkey started for the fleet. A
rolling restart takes one replica at a time out of nginx's upstream, lets its requests finish,
stops it with SIGTERM, starts it again and puts it back once `/readyz` answers: the order
Kubernetes keeps with endpoints, preStop and SIGTERM. `make fleet-check` (deploy/fleet_check.py)
drives traffic through it while it does so.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.stack import Neighbours, running_neighbours
from deploy.tools import ensure_nginx
from devstack import seed
from devstack.processes import stop_group
from devstack.redis import RunningRedis
from devstack.serving import free_port, port_in_use

READY_SECONDS = 30.0
# How long a replica taken out of the upstream keeps serving before SIGTERM: nginx's old workers
# finish the requests they already sent it (each takes milliseconds here).
DRAIN_SECONDS = 1.0


@dataclass
class Replica:
    index: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    in_rotation: bool = False

    @property
    def address(self) -> str:
        return f"{seed.HOST}:{self.port}"


@dataclass
class Fleet:
    workdir: Path
    nginx_binary: str
    port: int
    environment: dict[str, str]
    replicas: list[Replica]
    nginx: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    exit_codes: list[int] = field(default_factory=list)
    # Off: SIGTERM while the replica is still in nginx's upstream, to see what draining buys.
    drain: bool = True

    @property
    def url(self) -> str:
        return f"http://{seed.HOST}:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "nginx-access.log"

    @property
    def error_log(self) -> Path:
        return self.workdir / "nginx-error.log"

    def start_replica(self, replica: Replica) -> None:
        env = {**self.environment, "PORT": str(replica.port)}
        with replica.log.open("ab") as out:
            replica.process = subprocess.Popen(
                [sys.executable, "-m", "app"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                process_group=0,  # Ctrl-C reaches only us; we stop each replica ourselves
            )

    async def wait_ready(self, replica: Replica) -> None:
        deadline = time.monotonic() + READY_SECONDS
        async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
            while time.monotonic() < deadline:
                if replica.process is None or replica.process.poll() is not None:
                    raise RuntimeError(f"replica {replica.index} exited while starting; see {replica.log}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://{replica.address}/readyz")).status_code == httpx.codes.OK:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"replica {replica.index} not ready within {READY_SECONDS:.0f}s; see {replica.log}")

    def write_nginx_conf(self) -> Path:
        # A replica out of rotation is `down`: nginx's workers started by the reload send it nothing.
        servers = "\n".join(
            f"        server {r.address} max_fails=3 fail_timeout=5s{'' if r.in_rotation else ' down'};"
            for r in self.replicas
        )
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(f"""\
daemon off;
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 4096; }}
http {{
    # The caller's X-Request-ID when it sent one, else nginx's own: the same id in nginx's log,
    # the replica's log lines and the call to Flow Connect.
    map $http_x_request_id $flow_request_id {{
        default $http_x_request_id;
        "" $request_id;
    }}
    log_format fleet '$flow_request_id $status "$upstream_addr" "$upstream_status"';
    access_log {self.access_log} fleet;
    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream flow_api {{
{servers}
    }}
    server {{
        listen {seed.HOST}:{self.port};
        client_max_body_size 64k;
        location / {{
            proxy_pass http://flow_api;
            # Another replica only when this one refused or timed out the *connection*: nginx never
            # resends a POST it has written (that would need non_idempotent), so a mutation
            # reaches Flow Connect at most once.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            # A connection per request to the replicas: a pooled one that a stopping replica
            # closes could fail after the POST was written, which nginx must then not retry.
            proxy_set_header Connection close;
            proxy_set_header Host $host;
            proxy_set_header X-Request-ID $flow_request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
""")
        return conf

    def start_nginx(self) -> subprocess.Popen[bytes]:
        conf = self.write_nginx_conf()
        # -e: the compiled-in error log path is opened before the config is read.
        self.nginx = nginx = subprocess.Popen(
            [self.nginx_binary, "-p", str(self.workdir), "-e", str(self.error_log), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
        return nginx

    async def start(self) -> None:
        for replica in self.replicas:
            self.start_replica(replica)
        for replica in self.replicas:
            await self.wait_ready(replica)
            replica.in_rotation = True
        nginx = self.start_nginx()
        deadline = time.monotonic() + READY_SECONDS
        while not port_in_use(seed.HOST, self.port):
            if nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start; see {self.error_log}")
            await asyncio.sleep(0.05)

    async def reload_nginx(self) -> None:
        if self.nginx is None:
            return
        self.write_nginx_conf()
        self.nginx.send_signal(signal.SIGHUP)
        # The reload is done once the master has read the new configuration and started workers;
        # a short pause covers it on one machine.
        await asyncio.sleep(0.3)

    async def restart(self, replica: Replica) -> None:
        """Out of rotation, drained, SIGTERM, exit awaited, started, ready, back in rotation."""
        if self.drain:
            replica.in_rotation = False
            await self.reload_nginx()
            await asyncio.sleep(DRAIN_SECONDS)
        if replica.process is not None:
            self.exit_codes.append(await asyncio.to_thread(stop_group, replica.process, grace=40.0))
        self.start_replica(replica)
        await self.wait_ready(replica)
        if not replica.in_rotation:
            replica.in_rotation = True
            await self.reload_nginx()
        self.restarts += 1

    async def rolling_restart(self) -> None:
        for replica in self.replicas:
            await self.restart(replica)

    def stop(self) -> None:
        for process in [self.nginx, *(replica.process for replica in self.replicas)]:
            if process is not None and process.poll() is None:
                stop_group(process)


@contextlib.asynccontextmanager
async def running_fleet(
    *, size: int, port: int, workdir: Path, extra_environment: dict[str, str], any_target: bool = False
) -> AsyncIterator[tuple[Fleet, Neighbours]]:
    """The dev stack, `size` replicas and nginx; everything stopped when the block ends."""
    nginx = ensure_nginx()
    async with running_neighbours(workdir, any_target=any_target) as neighbours, _shared_state(workdir) as redis_url:
        environment = {
            **os.environ,
            "APP_ENV": "production",
            "HOST": seed.HOST,
            "WEB_CONCURRENCY": "1",
            "REDIS_URL": redis_url,
            **neighbours.api_environment(),
            **extra_environment,
        }
        replicas = [Replica(index=i, port=free_port(seed.HOST), log=workdir / f"replica-{i}.log") for i in range(size)]
        fleet = Fleet(workdir=workdir, nginx_binary=nginx, port=port, environment=environment, replicas=replicas)
        try:
            await fleet.start()
            yield fleet, neighbours
        finally:
            await asyncio.to_thread(fleet.stop)


@contextlib.asynccontextmanager
async def _shared_state(workdir: Path) -> AsyncIterator[str]:
    """The replicas' shared store: the given REDIS_URL, else a Valkey of our own on loopback."""
    if given := os.environ.get("REDIS_URL"):
        yield given
        return
    redis = RunningRedis(workdir)
    await asyncio.to_thread(redis.start)
    try:
        yield redis.url
    finally:
        await asyncio.to_thread(redis.stop)


async def serve(size: int, port: int) -> int:
    if port_in_use(seed.HOST, port):
        print(f"fleet: port {port} is already in use; choose another: make fleet FLEET_PORT=<port>", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="flow-api-fleet-"))
    async with running_fleet(size=size, port=port, workdir=workdir, extra_environment={}) as (fleet, neighbours):
        mutation = f'{{"query":"mutation {{ createConnection(targetOrgId: \\"{seed_target()}\\") }}"}}'
        redis = "the REDIS_URL given" if "REDIS_URL" in os.environ else "a Valkey of its own on loopback"
        print(
            f"""
Flow API fleet is up: {size} replicas behind nginx ({redis}).
  URL:          {fleet.url}/graphql
  replicas:     {", ".join(r.address for r in fleet.replicas)}
  logs:         {workdir}/ (replica-N.log, nginx-access.log)
  Flow Connect: {neighbours.flow_connect_url} (simulator)

curl -s {fleet.url}/graphql -H 'Content-Type: application/json' \\
  -H 'Authorization: Bearer {neighbours.token()}' -d '{mutation}'

Ctrl-C stops everything.""",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    return 0


def seed_target() -> str:
    return next(org for org in seed.ORGANIZATIONS if org != seed.DEV_ORG_ID)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.fleet", description=__doc__)
    parser.add_argument("--size", type=int, default=3, help="replicas (default 3)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1 (default 8080)")
    args = parser.parse_args()
    return asyncio.run(serve(args.size, args.port))


if __name__ == "__main__":
    sys.exit(main())
