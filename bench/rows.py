"""What each row runs, what it is sent, and what it must answer."""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.forwarders import ENDPOINT, UPSTREAM_ENV
from bench.servers import HOST

REPO = Path(__file__).resolve().parents[1]
TARGET_ORG_ID = "9133da7c-3b98-4673-91dc-0dc58cc8740c"
CALLER_ORG_ID = "0b5f1c7e-2f1a-4d8e-9a53-6f1d2c3b4a51"
CLIENT_ID = "client_bench"
NGINX_BODY = '{"id":"r1","status":"pending"}'
REST_BODY = json.dumps({"target_org_id": TARGET_ORG_ID}, separators=(",", ":"))
GRAPHQL_BODY = json.dumps(
    {"query": f'mutation {{ createConnection(targetOrgId: "{TARGET_ORG_ID}") }}'}, separators=(",", ":")
)
GRAPHQL_OK = {"data": {"createConnection": True}}

LIMIT, HTTPX, AIOHTTP, NAIVE, OURS_1W, OURS_WARNING, OURS_2W, MINIMAL, YOGA, APOLLO, OURS_REDIS = range(1, 12)
LABELS = {
    LIMIT: "limit: nginx alone",
    HTTPX: "forwarder, httpx",
    AIOHTTP: "forwarder, aiohttp",
    NAIVE: "naive: client per call",
    OURS_1W: "ours, production (INFO)",
    OURS_WARNING: "ours, LOG_LEVEL=WARNING",
    OURS_2W: "ours, 2 workers (INFO)",
    MINIMAL: "minimal Strawberry app",
    YOGA: "Yoga + undici.Pool",
    APOLLO: "Apollo Server 4 + fetch",
    OURS_REDIS: "ours, REDIS_URL set (INFO)",
}
GRAPHQL_ROWS = frozenset({NAIVE, OURS_1W, OURS_WARNING, OURS_2W, MINIMAL, YOGA, APOLLO, OURS_REDIS})
# Rows also measured with one connection: the floor and the GraphQL servers side by side.
C1_ROWS = frozenset({LIMIT, OURS_1W, OURS_WARNING, MINIMAL, YOGA, APOLLO})
NODE_ROWS = {YOGA: "yoga.mjs", APOLLO: "apollo.mjs"}
PEERS = Path(__file__).resolve().parent / "peers"
GC_STATS = Path(__file__).resolve().parent / "gcstats"
GC_PAUSES_ENV = "BENCH_GC_PAUSES"


@dataclass(frozen=True)
class Request:
    path: str
    body: str
    expected: str  # a 2xx body without this substring is a failure
    # A fresh Idempotency-Key on every request, as a client that retries safely sends: our rows
    # check and store each one; the peers ignore the header, so every GraphQL row gets the same bytes.
    idempotency_keys: bool = False

    def headers(self, token: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


REST = Request(path=ENDPOINT, body=REST_BODY, expected='"id":"r1"')
GRAPHQL = Request(path="/graphql", body=GRAPHQL_BODY, expected='"createConnection":true', idempotency_keys=True)


def request_for(row: int) -> Request:
    return GRAPHQL if row in GRAPHQL_ROWS else REST


def nginx_conf(directory: Path, port: int) -> Path:
    temp = {name: directory / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    conf = directory / "nginx.conf"
    conf.write_text(f"""\
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    # Keep connections for the whole run: the forwarders' pools should never see a close.
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    server {{
        listen {HOST}:{port};
        default_type application/json;
        location = {ENDPOINT} {{ return 201 '{NGINX_BODY}'; }}
    }}
}}
""")
    return conf


def nginx_command(nginx: str, conf: Path) -> list[str]:
    # -e: the compiled-in error log path is opened before the config is read.
    return [nginx, "-p", str(conf.parent), "-e", str(conf.parent / "nginx-error.log"), "-c", str(conf)]


def uvicorn_command(python: str, app: str, port: int, *, factory: bool = False) -> list[str]:
    return [
        python,
        "-m",
        "uvicorn",
        app,
        f"--host={HOST}",
        f"--port={port}",
        "--workers=1",
        "--loop=uvloop",
        "--http=httptools",
        "--no-access-log",
        "--no-server-header",
        "--log-level=warning",
        *(["--factory"] if factory else []),
    ]


def forwarder_env(upstream: str) -> dict[str, str]:
    return {UPSTREAM_ENV: upstream}


def node_command(node: str, row: int) -> list[str]:
    return [node, str(PEERS / NODE_ROWS[row])]


def peer_env(*, port: int, idp_url: str, upstream: str) -> dict[str, str]:
    """The minimal app's and the Node peers' settings."""
    return {
        "NODE_ENV": "production",
        "HOST": HOST,
        "PORT": str(port),
        "BENCH_JWKS_URL": f"{idp_url}/sso/jwks/{CLIENT_ID}",
        "BENCH_ISSUER": idp_url,
        UPSTREAM_ENV: upstream,
    }


def gc_env(directory: Path) -> dict[str, str]:
    """Makes a Python server record its collector's pauses into `directory` (bench/gcstats)."""
    directory.mkdir(parents=True, exist_ok=True)
    return {"PYTHONPATH": f"{GC_STATS}:{REPO}", GC_PAUSES_ENV: str(directory)}


# One caller sends every request: limits high enough never to refuse it, still counted on every
# request. Per second: a moving window keeps one timestamp per request inside it.
NEVER_REFUSING_LIMITS = {
    "RATE_LIMIT_CREATE_CONNECTION_PER_USER": "1000000/second",
    "RATE_LIMIT_CREATE_CONNECTION_PER_ORG": "1000000/second",
}


def service_env(
    *, port: int, idp_url: str, upstream: str, workers: int = 1, log_level: str = "INFO", redis_url: str | None = None
) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "HOST": HOST,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "WORKOS_CLIENT_ID": CLIENT_ID,
        "WORKOS_JWKS_URL": f"{idp_url}/sso/jwks/{CLIENT_ID}",
        "WORKOS_ISSUER": idp_url,
        "FLOW_CONNECT_API_URL": upstream,
        # Production's default; the lines go to the server's log file, as an operator redirects stdout.
        "LOG_LEVEL": log_level,
        # Counted in the process, or in Redis for the REDIS_URL row.
        **NEVER_REFUSING_LIMITS,
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }


async def verify(row: int, base_url: str, token: str) -> None:
    """One request before any load: a misconfigured row must not be measured as fast failures."""
    request = request_for(row)
    headers = request.headers(token)
    if request.idempotency_keys:
        headers["Idempotency-Key"] = f"bench-verify-{uuid.uuid4()}"
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
        response = await client.post(f"{base_url}{request.path}", content=request.body, headers=headers)
    if row in GRAPHQL_ROWS:
        try:
            ok = response.status_code == httpx.codes.OK and response.json() == GRAPHQL_OK
        except ValueError:
            ok = False
    else:
        ok = response.status_code == httpx.codes.CREATED and request.expected in response.text
    if not ok:
        expected = "200 " + json.dumps(GRAPHQL_OK) if row in GRAPHQL_ROWS else "201 " + NGINX_BODY
        raise RuntimeError(
            f"row {row} ({LABELS[row]}) answered HTTP {response.status_code} {response.text[:500]!r}; "
            f"expected {expected}"
        )
