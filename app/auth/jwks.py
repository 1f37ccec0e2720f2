import asyncio
import contextlib
import json
import time

import httpx
import jwt
import structlog

from app.auth.signing_keys import UnfitKey, fit_signing_keys
from app.core.observability.metrics import JWKS_REFRESHES
from app.errors import ServiceUnavailableError, UnauthorizedError

logger = structlog.get_logger(__name__)

# A real key set is a few KiB; a larger answer is refused, and never read past this.
MAX_JWKS_BYTES = 256 * 1024
# Unfit keys remembered as logged; a key set that churns through more is not logged further
# (the cap keeps a hostile endpoint from growing our memory, one fetch at a time).
MAX_UNFIT_KEYS_REMEMBERED = 1024


class JwksTooLargeError(ValueError):
    pass


class JwksKeyStore:
    """WorkOS signing keys, fetched asynchronously and cached.

    PyJWT's `PyJWKClient` would do this with blocking urllib on the event loop, so the
    fetch goes through httpx and PyJWT only parses (`PyJWK`) and verifies; only the keys
    `fit_signing_keys` finds fit are held.
    Refreshes happen when the cache is older than `max_age` or a token names an
    unknown `kid`, never more often than every `min_refresh_interval` seconds; one fetch
    at a time, shared by every caller that needs it, and over within `fetch_timeout`.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        url: str,
        min_refresh_interval: float,
        max_age: float,
        fetch_timeout: float,
    ) -> None:
        self._http = http
        self._url = url
        self._min_refresh_interval = min_refresh_interval
        self._max_age = max_age
        self._fetch_timeout = fetch_timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._refreshing: asyncio.Task[None] | None = None
        # Unfit keys already logged: a key set is fetched again and again, each key said once.
        self._reported_unfit: set[UnfitKey] = set()

    async def ensure_keys(self) -> bool:
        """Whether a key set no older than `max_age` is held, refreshing it if allowed (readiness).

        Stale keys still verify tokens, but a set nobody could refresh for longer than its
        TTL means the identity provider is unreachable from here: not ready.
        """
        if self._is_stale():
            await self._refresh_if_allowed()
        return bool(self._keys) and not self._is_stale()

    async def get_signing_key(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            if self._is_stale():
                # The cached key answers now; the refresh runs on its own, so a slow identity
                # provider never holds up a caller whose key we already have.
                self._start_refresh_if_allowed()
            return key
        await self._refresh_if_allowed()
        if (key := self._keys.get(kid)) is not None:
            return key
        if not self._keys:
            raise ServiceUnavailableError(
                "Cannot verify tokens right now: the identity provider's signing keys are unavailable."
            )
        raise UnauthorizedError("Token is signed by an unknown or unfit key.")

    async def aclose(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refreshing

    def _is_stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self._max_age

    def _may_refresh(self) -> bool:
        return self._attempted_at is None or time.monotonic() - self._attempted_at >= self._min_refresh_interval

    async def _refresh_if_allowed(self) -> None:
        if (refreshing := self._start_refresh_if_allowed()) is not None:
            # Shielded: a caller that gives up must not cancel the fetch others wait on.
            await asyncio.shield(refreshing)

    def _start_refresh_if_allowed(self) -> asyncio.Task[None] | None:
        # No await between the check and the start: callers that arrive during a fetch join it.
        if self._refreshing is None and self._may_refresh():
            self._attempted_at = time.monotonic()
            self._refreshing = asyncio.create_task(self._refresh())
        return self._refreshing

    async def _refresh(self) -> None:
        try:
            async with asyncio.timeout(self._fetch_timeout):
                keys = await self._fetch()
        # RecursionError: JSON nested deeper than the parser's recursion limit, well within the cap.
        except (TimeoutError, httpx.HTTPError, ValueError, RecursionError, jwt.PyJWTError) as error:
            JWKS_REFRESHES.labels("failure").inc()
            logger.warning("jwks_refresh_failed", url=self._url, error=repr(error), cached_keys=len(self._keys))
            return
        finally:
            self._refreshing = None
        self._keys = keys
        JWKS_REFRESHES.labels("ok").inc()
        self._fetched_at = time.monotonic()
        logger.info("jwks_refreshed", url=self._url, keys=len(self._keys))

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        fit, unfit = fit_signing_keys(json.loads(await self._read_capped()))
        for key in unfit:
            if key not in self._reported_unfit and len(self._reported_unfit) < MAX_UNFIT_KEYS_REMEMBERED:
                self._reported_unfit.add(key)
                logger.warning("jwks_key_skipped", kid=key.kid, reason=key.reason)
        if not fit:
            raise jwt.PyJWKSetError("JWKS holds no key fit to verify RS256 tokens")
        return fit

    async def _read_capped(self) -> bytes:
        # Identity encoding and raw bytes: a compressed answer could inflate far past the cap
        # inside a single decoded chunk.
        async with self._http.stream("GET", self._url, headers={"Accept-Encoding": "identity"}) as response:
            response.raise_for_status()
            if response.headers.get("content-encoding", "identity").lower() != "identity":
                raise ValueError("JWKS answer is compressed although identity encoding was asked for")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksTooLargeError(f"JWKS answer is larger than {MAX_JWKS_BYTES} bytes")
            return bytes(body)
