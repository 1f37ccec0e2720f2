import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

import httpx
import strawberry
from aioinject import FromContext, Provider, Scope, Scoped, Singleton

from app.auth import AuthInfo, JwksKeyStore, WorkOSService
from app.core.config import WorkOSSettings

if TYPE_CHECKING:
    from starlette.requests import Request


@contextlib.asynccontextmanager
async def create_jwks_key_store(settings: WorkOSSettings) -> AsyncIterator[JwksKeyStore]:
    # The key store bounds the whole fetch; these per-step timeouts only end a dead socket sooner.
    timeout = httpx.Timeout(settings.workos_jwks_fetch_timeout)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
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


def create_workos_service(settings: WorkOSSettings, key_store: JwksKeyStore) -> WorkOSService:
    # Not `Singleton(WorkOSService)`: aioinject would try to inject its `clock` test seam.
    return WorkOSService(settings=settings, key_store=key_store)


AUTH_INFO_CONTEXT_KEY = "auth_info"


async def authenticate_request(info: strawberry.Info, workos: WorkOSService) -> AuthInfo:
    # Resolved only by resolvers that ask for AuthInfo, so `__typename` needs no token.
    # Kept in the request's GraphQL context: verified once per request, and the request's
    # log line can name the caller.
    if (known := info.context.get(AUTH_INFO_CONTEXT_KEY)) is not None:
        return cast("AuthInfo", known)
    request: Request = info.context["request"]
    auth_info = await workos.authenticate(request.headers.get("authorization"))
    info.context[AUTH_INFO_CONTEXT_KEY] = auth_info
    return auth_info


providers: list[Provider[Any]] = [
    Singleton(create_jwks_key_store),
    Singleton(create_workos_service),
    FromContext(strawberry.Info, scope=Scope.request),
    Scoped(authenticate_request),
]
