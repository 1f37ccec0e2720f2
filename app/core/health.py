"""`/healthz` (the process answers) and `/readyz` (it can do its job), for orchestrators."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioinject
from aioinject import Provider, Singleton
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.auth import JwksKeyStore
from app.core.config import FlowConnectApiSettings

TCP_CHECK_TIMEOUT_SECONDS = 1.0


class ReadinessProbe:
    def __init__(self, *, key_store: JwksKeyStore, flow_connect: FlowConnectApiSettings) -> None:
        self._key_store = key_store
        url = flow_connect.flow_connect_api_url
        self._flow_connect_address = (url.host or "", url.port or (443 if url.scheme == "https" else 80))

    async def problems(self) -> list[str]:
        """Why this instance should not get traffic now; empty when it should."""
        keys_ok, flow_connect_ok = await asyncio.gather(self._key_store.ensure_keys(), self._flow_connect_reachable())
        problems = []
        if not keys_ok:
            problems.append("identity provider signing keys are unavailable")
        if not flow_connect_ok:
            host, port = self._flow_connect_address
            problems.append(f"Flow Connect is unreachable (TCP connect to {host}:{port} failed)")
        return problems

    async def _flow_connect_reachable(self) -> bool:
        try:
            async with asyncio.timeout(TCP_CHECK_TIMEOUT_SECONDS):
                _, writer = await asyncio.open_connection(*self._flow_connect_address)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True


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
