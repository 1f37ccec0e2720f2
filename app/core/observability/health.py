"""`/healthz` (the process answers) and `/readyz` (it can do its job), for orchestrators."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioinject
import structlog
from aioinject import Provider, Singleton
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.auth import JwksKeyStore
from app.core.shared_state.idempotency_store import IdempotencyStore
from app.core.shared_state.redis import SharedStateUnavailableError

logger = structlog.get_logger(__name__)


class ReadinessProbe:
    """Checks what this replica needs of its own to serve, never Flow Connect: every replica shares
    the one Flow Connect, so a readiness check on it would pull the whole fleet out of the load
    balancer when it fails, turning a partial outage into a total one. The circuit breaker answers
    for Flow Connect instead (`SERVICE_UNAVAILABLE` at once, with `Retry-After`)."""

    def __init__(self, *, key_store: JwksKeyStore, idempotency_store: IdempotencyStore) -> None:
        self._key_store = key_store
        self._idempotency_store = idempotency_store

    async def problems(self) -> list[str]:
        """The names of the failing checks; empty when this instance should get traffic.

        Anyone may ask, so the answer names checks only: why a check failed goes to the log.
        """
        keys_problem, redis_problem = await asyncio.gather(self._keys_problem(), self._redis_problem())
        failed = {"jwks": keys_problem, "redis": redis_problem}
        for check, detail in failed.items():
            if detail is not None:
                logger.warning("readiness_check_failed", check=check, detail=detail)
        return [check for check, detail in failed.items() if detail is not None]

    async def _keys_problem(self) -> str | None:
        if await self._key_store.ensure_keys():
            return None
        return "identity provider signing keys are unavailable"

    async def _redis_problem(self) -> str | None:
        # Only a Redis-backed store can fail its ping; the in-process one always answers.
        try:
            await self._idempotency_store.ping()
        except SharedStateUnavailableError as error:
            return f"Redis did not answer a PING: {error.__cause__!r}"
        return None


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readyz_endpoint(container: aioinject.Container) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(_: Request) -> JSONResponse:
        async with container.context() as context:
            probe = await context.resolve(ReadinessProbe)
            problems = await probe.problems()
        if problems:
            return JSONResponse({"status": "unavailable", "reasons": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    return readyz


providers: list[Provider[Any]] = [Singleton(ReadinessProbe)]
