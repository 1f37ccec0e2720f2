"""The service's job with nothing else: what a user would hand-write on our stack.

Starlette + Strawberry (with its own parser and validation caches), served by uvicorn with
httptools and uvloop; PyJWT against the identity provider's JWKS, verified tokens remembered
until their `exp`; one aiohttp `ClientSession` to Flow Connect. No DI, no logs, no metrics, no
request ids, no limits. `uvicorn --factory bench.minimal_app:create_minimal_app`, configured
by `BENCH_JWKS_URL`, `BENCH_ISSUER` and `BENCH_UPSTREAM_URL`.
"""

import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import jwt
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import Info

from bench.forwarders import ENDPOINT, UPSTREAM_ENV

JWKS_ENV, ISSUER_ENV = "BENCH_JWKS_URL", "BENCH_ISSUER"
CACHED_TOKENS = 4096
_CODES = {401: "UNAUTHORIZED", 403: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONFLICT"}


def _coded(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@dataclass
class Upstream:
    session: aiohttp.ClientSession
    keys: jwt.PyJWKSet
    issuer: str
    verified: dict[str, float] = field(default_factory=dict)  # token -> exp

    def authenticate(self, authorization: str | None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token:
            raise _coded("Missing bearer token.", "UNAUTHORIZED")
        if self.verified.get(token, 0.0) > time.time():
            return token
        try:
            key = self.keys[jwt.get_unverified_header(token)["kid"]]
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=30,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except (jwt.PyJWTError, KeyError):
            raise _coded("Token is invalid.", "UNAUTHORIZED") from None
        if len(self.verified) >= CACHED_TOKENS:
            self.verified.clear()
        self.verified[token] = float(claims["exp"])
        return token


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_connection(self, info: Info, target_org_id: strawberry.ID) -> bool:
        upstream: Upstream = info.context["request"].app.state.upstream
        token = upstream.authenticate(info.context["request"].headers.get("authorization"))
        try:
            target = uuid.UUID(target_org_id)
        except ValueError:
            raise _coded("targetOrgId is not a UUID.", "BAD_USER_INPUT") from None
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with upstream.session.post(
                ENDPOINT, json={"target_org_id": str(target)}, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            raise _coded("The Flow Connect API is unreachable.", "REMOTE_API_ERROR") from None
        if 200 <= status < 300:  # noqa: PLR2004
            return True
        raise _coded(f"Flow Connect answered {status}.", _CODES.get(status, "REMOTE_API_ERROR"))


def create_minimal_app() -> Starlette:
    schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[ParserCache, ValidationCache])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=10, connect=3)
        async with aiohttp.ClientSession(base_url=os.environ[UPSTREAM_ENV], timeout=timeout) as session:
            async with session.get(os.environ[JWKS_ENV]) as response:
                keys = jwt.PyJWKSet.from_dict(await response.json())
            app.state.upstream = Upstream(session=session, keys=keys, issuer=os.environ[ISSUER_ENV])
            yield

    return Starlette(routes=[Route("/graphql", GraphQL(schema, graphql_ide=None))], lifespan=lifespan)
