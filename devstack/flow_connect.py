"""A local Flow Connect: just enough of its REST API for `make run`, in a process of its own.

    the routes registered in devstack/flow_connect_routes/ (see devstack.flow_connect_simulator),
      each behind `Authorization: Bearer <dev token>`: 401 bad token, 403 token without org_id
    GET /healthz  {"status": "ok", "pid": <the simulator's process id>}
    GET /idempotency-keys  {"requests": <unsafe requests read>, "keys": <distinct Idempotency-Key values>,
                            "repeated": <keys read more than once>}

State lives in SQLite (survives restarts; delete `.dev/` to reset). `--any-target` makes every
well-formed target organization known, so a load test can create a new connection per request.
"""

import argparse
import collections
import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx
import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack import seed
from devstack.flow_connect_simulator import Caller, SimulatorCall, SimulatorRoute, discovered_routes, error

_SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS connection_requests (
    id TEXT PRIMARY KEY,
    from_org_id TEXT NOT NULL REFERENCES organizations(id),
    to_org_id TEXT NOT NULL REFERENCES organizations(id),
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (from_org_id, to_org_id)
);
"""


class ConnectionStore:
    def __init__(self, path: Path, *, any_target: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Public: a route module may keep tables of its own here (CREATE TABLE IF NOT EXISTS).
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A write-ahead log synced at checkpoints, not at every commit: a dev stand-in may lose its
        # last writes to a power cut, and keeps up with a load test.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.db.executemany("INSERT OR IGNORE INTO organizations VALUES (?, ?)", seed.ORGANIZATIONS.items())
        self._any_target = any_target

    def organization_exists(self, org_id: str) -> bool:
        if self._any_target:
            self.db.execute("INSERT OR IGNORE INTO organizations VALUES (?, ?)", (org_id, "made up on request"))
        return self.db.execute("SELECT 1 FROM organizations WHERE id = ?", (org_id,)).fetchone() is not None

    def create_request(self, *, from_org_id: str, to_org_id: str, requested_by: str) -> str | None:
        """The new request's id, or None when it already exists."""
        request_id = str(uuid.uuid4())
        try:
            self.db.execute(
                "INSERT INTO connection_requests (id, from_org_id, to_org_id, requested_by) VALUES (?, ?, ?, ?)",
                (request_id, from_org_id, to_org_id, requested_by),
            )
        except sqlite3.IntegrityError:
            return None
        return request_id

    def close(self) -> None:
        self.db.close()


class TokenVerifier:
    """Checks dev tokens against the dev JWKS, as the real Flow Connect checks WorkOS tokens."""

    def __init__(self, *, jwks_url: str, issuer: str) -> None:
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._keys: dict[str, jwt.PyJWK] = {}

    async def subject_and_org(self, authorization: str) -> tuple[str, str | None]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise jwt.InvalidTokenError("no bearer token")
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise jwt.InvalidTokenError("no kid")
        if kid not in self._keys:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self._jwks_url)
            self._keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(response.json()).keys if k.key_id}
        if kid not in self._keys:
            raise jwt.InvalidTokenError("unknown kid")
        claims = jwt.decode(token, self._keys[kid].key, algorithms=["RS256"], issuer=self._issuer)
        org_id = claims.get("org_id")
        return str(claims["sub"]), org_id if isinstance(org_id, str) else None


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def create_flow_connect_app(
    *, store: ConnectionStore, verifier: TokenVerifier, routes: Iterable[SimulatorRoute] | None = None
) -> Starlette:
    """The simulator serving `routes` (by default every one devstack/flow_connect_routes/ registers)."""
    # How often each Idempotency-Key was read: a key read twice is a request the API sent twice.
    keys_read: collections.Counter[str] = collections.Counter()

    def authenticated(route: SimulatorRoute) -> Route:
        async def endpoint(request: Request) -> Response:
            if request.method in _UNSAFE_METHODS:
                keys_read[request.headers.get("idempotency-key", "")] += 1
            try:
                sub, caller_org = await verifier.subject_and_org(request.headers.get("authorization", ""))
            except (jwt.PyJWTError, httpx.HTTPError, KeyError):
                return error(401, "Invalid or missing bearer token.")
            if caller_org is None:
                return error(403, "The token carries no organization.")
            return await route.handler(SimulatorCall(request, Caller(sub, caller_org), store))

        return Route(route.template, endpoint, methods=[route.method])

    async def healthz(_request: Request) -> JSONResponse:
        # The pid tells `make run` that this process answered, not another one on the port.
        return JSONResponse({"status": "ok", "pid": os.getpid()})

    async def idempotency_keys(_request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "requests": sum(keys_read.values()),
                "keys": len(keys_read),
                "repeated": sum(1 for count in keys_read.values() if count > 1),
            }
        )

    served = discovered_routes() if routes is None else routes
    return Starlette(
        routes=[
            *(authenticated(route) for route in served),
            Route("/healthz", healthz),
            Route("/idempotency-keys", idempotency_keys),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.flow_connect", description=__doc__)
    parser.add_argument("--port", type=int, default=seed.FLOW_CONNECT_PORT)
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--db", type=Path, default=seed.FLOW_CONNECT_DB)
    parser.add_argument("--any-target", action="store_true", help="every well-formed target organization exists")
    args = parser.parse_args()
    with contextlib.closing(ConnectionStore(args.db, any_target=args.any_target)) as store:
        app = create_flow_connect_app(store=store, verifier=TokenVerifier(jwks_url=args.jwks_url, issuer=args.issuer))
        uvicorn.run(app, host=seed.HOST, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
