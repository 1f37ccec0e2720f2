"""`python -m bench` (`make bench`): the service's throughput and latency next to its floor and ceiling.

Rows, all measured with the same wrk script shape (POST, -t1, --latency):
  1 nginx alone answering the Flow Connect call — the limit of this machine and wrk;
  2, 3 a bare Starlette forwarder with a shared httpx / aiohttp client — the floor of Python;
  4 the service with a new httpx client per call, as the seed plan had it;
  5, 6 the service, `python -m app`, with 1 and 2 workers.
Rows 2-6 forward to row 1's nginx; rows 4-6 verify tokens against an in-process identity provider.
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench import rows as r
from bench import wrk
from bench.report import Measurement, Soak, checks, print_report, print_soak, write_json
from bench.servers import Server, ensure_tools, start, wait_ready
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.serving import free_port, running_server

SOAK_FIRST, SOAK_MORE = 10_000, 100_000
# wrk's main thread sleeps out the whole -d even after the script stops its worker thread,
# so a request count is reached in short runs, the last one stopped by the script.
SOAK_CHUNK_SECONDS = 3


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    connections: int
    rows: list[int]
    soak: bool


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, metavar="SECONDS", help="each measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, metavar="SECONDS", help="each warm-up run (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--rows", default="1,2,3,4,5,6", help="comma-separated subset, e.g. 1,5 (default all)")
    parser.add_argument("--soak", action="store_true", help=f"only row 5: {SOAK_FIRST} then {SOAK_MORE} requests, RSS")
    args = parser.parse_args(argv)
    try:
        selected = sorted({int(part) for part in args.rows.split(",") if part.strip()})
    except ValueError:
        parser.error(f"--rows: not a list of row numbers: {args.rows!r}")
    if not selected or not set(selected) <= set(r.LABELS):
        parser.error(f"--rows: choose among {sorted(r.LABELS)}")
    if min(args.duration, args.connections) < 1 or args.warmup < 0:
        parser.error("--duration and --connections must be >= 1, --warmup >= 0")
    return Options(args.duration, args.warmup, args.connections, selected, args.soak)


@dataclass
class Bench:
    options: Options
    tools: dict[str, str]
    workdir: Path
    nginx: Server
    idp_url: str
    token: str

    def script(self, row: int, *, stop_after: int = 0) -> Path:
        request = r.request_for(row)
        name = f"{'graphql' if row in r.GRAPHQL_ROWS else 'rest'}-{stop_after}.lua"
        return wrk.write_script(
            self.workdir / name,
            body=request.body,
            headers=request.headers(self.token),
            expected=request.expected,
            stop_after=stop_after,
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
        before = server.rss_mb()
        result = await self.wrk(row, server, connections=connections, seconds=self.options.duration)
        return Measurement(row, connections, result, before, server.rss_mb())

    @contextlib.asynccontextmanager
    async def server(self, row: int) -> AsyncIterator[Server]:
        """Row `row`'s server, answering correctly; stopped on exit. Row 1 is the shared nginx."""
        if row == r.LIMIT:
            yield self.nginx
            return
        port, upstream = free_port(), self.nginx.url
        name, command, env = r.LABELS[row], [sys.executable, "-m", "app"], {}
        if row in {r.HTTPX, r.AIOHTTP}:
            app = "bench.forwarders:httpx_app" if row == r.HTTPX else "bench.forwarders:aiohttp_app"
            command, env = r.uvicorn_command(app, port), r.forwarder_env(upstream)
        elif row == r.NAIVE:
            command = r.uvicorn_command("bench.naive_app:create_naive_app", port, factory=True)
            env = r.service_env(port=port, idp_url=self.idp_url, upstream=upstream)
        else:
            workers = 2 if row == r.OURS_2W else 1
            env = r.service_env(port=port, idp_url=self.idp_url, upstream=upstream, workers=workers)
        server = start(name, command, port=port, log_dir=self.workdir, env=env)
        try:
            await wait_ready(server)
            await r.verify(row, server.url, self.token)
            yield server
        finally:
            server.stop()


async def run_rows(bench: Bench) -> tuple[dict[int, Measurement], dict[int, Measurement]]:
    options = bench.options
    rows: dict[int, Measurement] = {}
    c1: dict[int, Measurement] = {}
    for row in options.rows:
        print(f"bench: row {row}, {r.LABELS[row]} ...", flush=True)
        async with bench.server(row) as server:
            rows[row] = await bench.measure(row, server, connections=options.connections, warmup=options.warmup)
            if row in {r.LIMIT, r.OURS_1W}:
                # The loaded run just before is the warm-up.
                c1[row] = await bench.measure(row, server, connections=1, warmup=0)
    return rows, c1


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
        try:
            await wait_ready(nginx)
            key = SigningKey.generate()
            idp = IdentityProvider(client_id=r.CLIENT_ID, keys=[key])
            async with running_server(idp.asgi_app()) as idp_url:
                token = mint_token(key, issuer=idp_url, sub="user_bench", org_id=r.CALLER_ORG_ID, ttl_seconds=3600)
                bench = Bench(options, tools, workdir, nginx, idp_url, token)
                record = {"duration": options.duration, "warmup": options.warmup, "connections": options.connections}
                if options.soak:
                    soak = await run_soak(bench)
                    print_soak(soak)
                    path = write_json(options={**record, "soak": True}, rows={}, c1={}, found=[], soak=soak)
                else:
                    rows, c1 = await run_rows(bench)
                    found = checks(rows, c1)
                    print_report(rows, c1, found)
                    path = write_json(options={**record, "rows": options.rows}, rows=rows, c1=c1, found=found)
                print(f"\nbench: results written to {path}")
        finally:
            nginx.stop()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
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
