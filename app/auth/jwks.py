import asyncio
import time
from collections.abc import Callable

import httpx
import jwt
import structlog

from app.core.metrics import JWKS_REFRESHES
from app.errors import ServiceUnavailableError, UnauthorizedError

logger = structlog.get_logger(__name__)


class JwksKeyStore:
    """WorkOS signing keys, fetched asynchronously and cached.

    PyJWT's `PyJWKClient` would do this with blocking urllib on the event loop, so the
    fetch goes through httpx and PyJWT only parses (`PyJWKSet`) and verifies.
    Refreshes happen when the cache is older than `max_age` or a token names an
    unknown `kid`, never more often than every `min_refresh_interval` seconds, and
    concurrent callers share one fetch.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        url: str,
        min_refresh_interval: float,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = url
        self._min_refresh_interval = min_refresh_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def ensure_keys(self) -> bool:
        """Whether any key is usable, fetching once if none is cached (readiness, warm-up)."""
        if not self._keys:
            await self._refresh_if_allowed()
        return bool(self._keys)

    async def get_signing_key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys or self._is_stale():
            await self._refresh_if_allowed()
        key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys:
            raise ServiceUnavailableError(
                "Cannot verify tokens right now: the identity provider's signing keys are unavailable."
            )
        raise UnauthorizedError("Token is signed by an unknown key.")

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age

    def _may_refresh(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_refresh_interval

    async def _refresh_if_allowed(self) -> None:
        # Callers queue on the lock, so those who arrive during a fetch get its keys.
        async with self._lock:
            if not self._may_refresh():
                return
            self._attempted_at = self._clock()
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
                JWKS_REFRESHES.labels("failure").inc()
                logger.warning("jwks_refresh_failed", url=self._url, error=repr(error), cached_keys=len(self._keys))
                return
            JWKS_REFRESHES.labels("ok").inc()
            self._fetched_at = self._clock()
            logger.info("jwks_refreshed", url=self._url, keys=len(self._keys))

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        response = await self._http.get(self._url)
        response.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(response.json())
        return {key.key_id: key for key in key_set.keys if key.key_id and key.key_type == "RSA"}
