"""`python -m bench` (`make bench`): the service at production settings, next to its floor, its
ceiling, and the GraphQL servers users would pick instead.

Rows, all measured with the same wrk script shape (POST, -t1, --latency):
  1 nginx alone answering the Flow Connect call — the limit of this machine and wrk;
  2, 3 a bare Starlette forwarder with a shared httpx / aiohttp client — the floor of Python;
  4 the service with a new httpx client per call, as the seed plan had it;
  5 the service, `python -m app`, at production settings (INFO, JSON lines to a file); 6 at
    LOG_LEVEL=WARNING; 7 with 2 workers;
  8 a minimal hand-written Strawberry app doing the same job (bench/minimal_app.py);
  9, 10 GraphQL Yoga with undici.Pool and Apollo Server 4 with fetch (bench/peers/, Node).
Rows 2-10 forward to row 1's nginx; rows 4-10 verify tokens against an in-process identity provider.
Every GraphQL request carries a fresh Idempotency-Key: our rows (4-7, 11) store one record per
mutation, the peers ignore the header. Options: `make bench ARGS="--rows 5,8 --rounds 2"`.
Every server is started first; then each round measures every row in turn (interleaved, so a
noisy neighbour spreads over all rows), and the report gives each row's median.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench import rows as r
from bench import wrk
from bench.report import (
    GcPauses,
    Measurement,
    Soak,
    Summary,
    checks,
    gc_pauses,
    print_report,
    print_soak,
    write_json,
)
from bench.servers import Server, ensure_node_peers, ensure_tools, start, stop_servers_on_sigterm, wait_ready
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.redis import RunningRedis
from devstack.serving import free_port, running_server

SOAK_FIRST, SOAK_MORE = 10_000, 100_000
SETTLE_CPU_SHARE, SETTLE_INTERVAL, SETTLE_MAX_SECONDS = 0.05, 0.5, 30.0
# wrk's main thread sleeps out the whole -d even after the script stops its worker thread,
# so a request count is reached in short runs, the last one stopped by the script.
SOAK_CHUNK_SECONDS = 3


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    rounds: int
    connections: int
    rows: list[int]
    soak: bool
    python: str


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=5, metavar="SECONDS", help="each measured run (default 5)")
    parser.add_argument("--warmup", type=int, default=3, metavar="SECONDS", help="each row's warm-up (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--rows", default=",".join(map(str, r.LABELS)), help="comma-separated subset, e.g. 1,5,8")
    parser.add_argument("--soak", action="store_true", help=f"only row 5: {SOAK_FIRST} then {SOAK_MORE} requests, RSS")
    parser.add_argument(
        "--python", default=sys.executable, metavar="PATH", help="interpreter for the Python servers (a venv's python)"
    )
    args = parser.parse_args(argv)
    try:
        selected = sorted({int(part) for part in args.rows.split(",") if part.strip()})
    except ValueError:
        parser.error(f"--rows: not a list of row numbers: {args.rows!r}")
    if not selected or not set(selected) <= set(r.LABELS):
        parser.error(f"--rows: choose among {sorted(r.LABELS)}")
    if min(args.duration, args.connections, args.rounds) < 1 or args.warmup < 0:
        parser.error("--duration, --rounds and --connections must be >= 1, --warmup >= 0")
    return Options(args.duration, args.warmup, args.rounds, args.connections, selected, args.soak, args.python)


@dataclass
class Bench:
    options: Options
    tools: dict[str, str]
    workdir: Path
    nginx: Server
    idp_url: str
    token: str
    redis: RunningRedis  # the REDIS_URL row's store, on loopback
    runs: list[Measurement] = field(default_factory=list)

    def script(self, row: int, *, stop_after: int = 0) -> Path:
        request = r.request_for(row)
        name = f"{'graphql' if row in r.GRAPHQL_ROWS else 'rest'}-{stop_after}.lua"
        return wrk.write_script(
            self.workdir / name,
            body=request.body,
            headers=request.headers(self.token),
            expected=request.expected,
            stop_after=stop_after,
            idempotency_keys=request.idempotency_keys,
        )

    async def wrk(
        self, row: int, server: Server, *, connections: int, seconds: int, stop_after: int = 0
    ) -> wrk.WrkResult:
        url = f"{server.url}{r.request_for(row).path}"
        script = self.script(row, stop_after=stop_after)
        return await wrk.run(self.tools["wrk"], url=url, script=script, connections=connections, seconds=seconds)

    async def requests(self, row: int, server: Server, *, connections: int, count: int) -> tuple[int, int]:
        """Send about `count` requests; returns (answered, failures)."""
        answered = failures = 0
        while answered < count:
            result = await self.wrk(
                row, server, connections=connections, seconds=SOAK_CHUNK_SECONDS, stop_after=count - answered
            )
            if result.requests == 0:
                raise RuntimeError(f"{server.name} answered nothing in {SOAK_CHUNK_SECONDS}s")
            answered, failures = answered + result.requests, failures + result.failures
        return answered, failures

    async def measure(self, row: int, server: Server, *, connections: int, warmup: int) -> Measurement:
        if warmup:
            await self.wrk(row, server, connections=connections, seconds=warmup)
        before, cpu_before, started = server.rss_mb(), server.cpu_seconds(), time.monotonic()
        result = await self.wrk(row, server, connections=connections, seconds=self.options.duration)
        window = (started, time.monotonic())
        cpu = server.cpu_seconds() - cpu_before
        cpu_us = cpu * 1e6 / result.requests if result.requests else 0.0
        measurement = Measurement(row, connections, result, before, server.rss_mb(), cpu_us, window)
        self.runs.append(measurement)
        return measurement

    def gc_dir(self, row: int) -> Path:
        return self.workdir / "gc" / str(row)

    @contextlib.asynccontextmanager
    async def server(self, row: int) -> AsyncIterator[Server]:
        """Row `row`'s server, answering correctly; stopped on exit. Row 1 is the shared nginx."""
        if row == r.LIMIT:
            yield self.nginx
            return
        port, upstream, python = free_port(), self.nginx.url, self.options.python
        name, command = r.LABELS[row], [python, "-m", "app"]
        env = r.gc_env(self.gc_dir(row))
        if row in {r.HTTPX, r.AIOHTTP}:
            app = "bench.forwarders:httpx_app" if row == r.HTTPX else "bench.forwarders:aiohttp_app"
            command, env = r.uvicorn_command(python, app, port), {**env, **r.forwarder_env(upstream)}
        elif row == r.NAIVE:
            command = r.uvicorn_command(python, "bench.naive_app:create_naive_app", port, factory=True)
            env |= r.service_env(port=port, idp_url=self.idp_url, upstream=upstream)
        elif row == r.MINIMAL:
            command = r.uvicorn_command(python, "bench.minimal_app:create_minimal_app", port, factory=True)
            env |= r.peer_env(port=port, idp_url=self.idp_url, upstream=upstream)
        elif row in r.NODE_ROWS:
            command = r.node_command(ensure_node_peers(r.PEERS), row)
            env = r.peer_env(port=port, idp_url=self.idp_url, upstream=upstream)
        else:
            workers = 2 if row == r.OURS_2W else 1
            level = "WARNING" if row == r.OURS_WARNING else "INFO"
            redis_url = self.redis.url if row == r.OURS_REDIS else None
            env |= r.service_env(
                port=port,
                idp_url=self.idp_url,
                upstream=upstream,
                workers=workers,
                log_level=level,
                redis_url=redis_url,
            )
        server = start(name, command, port=port, log_dir=self.workdir, env=env)
        try:
            await wait_ready(server)
            await r.verify(row, server.url, self.token)
            yield server
        finally:
            server.stop()


async def settle(servers: Iterable[Server]) -> None:
    """Until the servers together use under SETTLE_CPU_SHARE of a core: a row's measurement never
    shares the machine with the previous row's backlog. (The naive row answers ~1 s late, so
    its requests in flight outlast wrk by seconds; without this they ran into the next row's
    measurement, the headline's, with no warm-up after round 1.)"""
    started = time.monotonic()
    while (waited := time.monotonic() - started) < SETTLE_MAX_SECONDS:
        before = sum(server.cpu_seconds() for server in servers)
        await asyncio.sleep(SETTLE_INTERVAL)
        if sum(server.cpu_seconds() for server in servers) - before < SETTLE_CPU_SHARE * SETTLE_INTERVAL:
            if waited >= 1:
                print(f"bench:   waited {waited:.1f} s for the servers to go quiet", flush=True)
            return
    print(f"bench: the servers were still busy after {SETTLE_MAX_SECONDS} s; measuring anyway", flush=True)


def _pauses(directory: Path) -> list[tuple[float, float, int]]:
    found: list[tuple[float, float, int]] = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        found.extend((end, seconds, generation) for end, seconds, generation in json.loads(path.read_text()))
    return found


async def run_rows(bench: Bench) -> tuple[dict[int, Summary], dict[int, Summary], list[GcPauses]]:
    options = bench.options
    async with contextlib.AsyncExitStack() as stack:
        servers: dict[int, Server] = {}
        for row in options.rows:
            print(f"bench: starting row {row}, {r.LABELS[row]} ...", flush=True)
            servers[row] = await stack.enter_async_context(bench.server(row))
        for round_number in range(1, options.rounds + 1):
            print(f"bench: round {round_number} of {options.rounds} ...", flush=True)
            for row, server in servers.items():
                warmup = options.warmup if round_number == 1 else 0
                await settle(servers.values())
                loaded = await bench.measure(row, server, connections=options.connections, warmup=warmup)
                one = None
                if row in r.C1_ROWS:
                    await settle(servers.values())
                    one = await bench.measure(row, server, connections=1, warmup=0)
                print(
                    f"bench:   row {row}: {loaded.wrk.requests_per_sec:.0f} req/s, "
                    f"{loaded.cpu_us_per_request:.0f} us/req"
                    + (f"; c1 p50 {one.wrk.p50_ms:.3f} p99 {one.wrk.p99_ms:.3f} ms" if one else ""),
                    flush=True,
                )
    # Stopped: each Python server has written its collector's pauses.
    rows: dict[int, Summary] = {}
    c1: dict[int, Summary] = {}
    gcs: list[GcPauses] = []
    for row in options.rows:
        for connections, into in ((options.connections, rows), (1, c1)):
            runs = [m for m in bench.runs if m.row == row and m.connections == connections]
            if not runs:
                continue
            into[row] = Summary.of(runs)
            if pauses := _pauses(bench.gc_dir(row)):
                gcs.append(gc_pauses(runs, pauses))
    return rows, c1, gcs


async def run_soak(bench: Bench) -> Soak:
    print(f"bench: soak, {r.LABELS[r.OURS_1W]}: {SOAK_FIRST} then {SOAK_MORE} requests ...", flush=True)
    connections = bench.options.connections
    async with bench.server(r.OURS_1W) as server:
        start_mb = server.rss_mb()
        first, first_failures = await bench.requests(r.OURS_1W, server, connections=connections, count=SOAK_FIRST)
        first_mb = server.rss_mb()
        more, more_failures = await bench.requests(r.OURS_1W, server, connections=connections, count=SOAK_MORE)
        return Soak(first, more, start_mb, first_mb, server.rss_mb(), first_failures + more_failures)


async def main_async(options: Options) -> None:
    tools = ensure_tools()
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        workdir = Path(tmp)
        nginx_port = free_port()
        conf = r.nginx_conf(workdir, nginx_port)
        nginx = start("nginx", r.nginx_command(tools["nginx"], conf), port=nginx_port, log_dir=workdir)
        redis = RunningRedis(workdir)
        try:
            redis.start()
            await wait_ready(nginx)
            key = SigningKey.generate()
            idp = IdentityProvider(client_id=r.CLIENT_ID, keys=[key])
            async with running_server(idp.asgi_app()) as idp_url:
                token = mint_token(key, issuer=idp_url, sub="user_bench", org_id=r.CALLER_ORG_ID, ttl_seconds=3600)
                bench = Bench(options, tools, workdir, nginx, idp_url, token, redis)
                record = {
                    "duration": options.duration,
                    "warmup": options.warmup,
                    "rounds": options.rounds,
                    "connections": options.connections,
                    "python": options.python,
                }
                if options.soak:
                    soak = await run_soak(bench)
                    print_soak(soak)
                    path = write_json(
                        options={**record, "soak": True}, rows={}, c1={}, gcs=[], runs=[], found=[], soak=soak
                    )
                else:
                    rows, c1, gcs = await run_rows(bench)
                    found = checks(rows, c1)
                    print_report(rows, c1, gcs, found)
                    path = write_json(
                        options={**record, "rows": options.rows},
                        rows=rows,
                        c1=c1,
                        gcs=gcs,
                        runs=bench.runs,
                        found=found,
                    )
                print(f"\nbench: results written to {path}")
        finally:
            redis.stop()
            nginx.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    stop_servers_on_sigterm()
    try:
        asyncio.run(main_async(options))
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped", file=sys.stderr)
        return 130
    except RuntimeError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
