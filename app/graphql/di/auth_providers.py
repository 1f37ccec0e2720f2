import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import strawberry
from aioinject import FromContext, Provider, Scope, Scoped, Singleton

from app.auth import AuthInfo, JwksKeyStore, WorkOSService
from app.core.config import WorkOSSettings

if TYPE_CHECKING:
    from app.graphql.context import GraphQLContext


@contextlib.asynccontextmanager
async def create_jwks_key_store(settings: WorkOSSettings) -> AsyncIterator[JwksKeyStore]:
    # The key store bounds the whole fetch; these per-step timeouts only end a dead socket sooner.
    timeout = httpx.Timeout(settings.workos_jwks_fetch_timeout)
    # trust_env=False: the keys every token is checked against come straight from the configured
    # URL, never through a proxy (or with CA settings) some environment variable names.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as http:
        key_store = JwksKeyStore(
            http=http,
            url=settings.jwks_url,
            min_refresh_interval=settings.workos_jwks_min_refresh_interval,
            max_age=settings.workos_jwks_cache_ttl,
            fetch_timeout=settings.workos_jwks_fetch_timeout,
        )
        try:
            yield key_store
        finally:
            await key_store.aclose()


async def authenticate_request(info: strawberry.Info, workos: WorkOSService) -> AuthInfo:
    # Resolved only by resolvers that ask for AuthInfo, so `__typename` needs no token. Kept in
    # the context: verified once per request, and the request's log line can name the caller.
    # `info` is unparametrised: aioinject looks providers up by the exact annotation.
    context: GraphQLContext = info.context
    if context.caller is None:
        context.caller = await workos.authenticate(context.request.headers.get("authorization"))
    return context.caller


providers: list[Provider[Any]] = [
    Singleton(create_jwks_key_store),
    Singleton(WorkOSService),
    FromContext(strawberry.Info, scope=Scope.request),
    Scoped(authenticate_request),
]
