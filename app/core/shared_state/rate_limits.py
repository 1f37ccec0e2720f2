import math

import structlog
from limits import RateLimitItem
from limits.errors import StorageError

from app.auth import AuthInfo
from app.core.config import SharedStateSettings
from app.core.observability.metrics import RATE_LIMITED, SHARED_STATE_FAILURES
from app.core.shared_state.moving_windows import LocalMovingWindows, MovingWindows, RedisMovingWindows
from app.core.shared_state.redis import SharedRedis
from app.errors import RateLimitedError

logger = structlog.get_logger(__name__)


class CreateConnectionLimits:
    """How many connection requests a caller, and their organization, may send per window."""

    def __init__(self, *, windows: MovingWindows, per_user: RateLimitItem, per_org: RateLimitItem) -> None:
        # A moving window: its reset time is exact, so `retryAfter` is when a retry will pass. (A
        # sliding window counter is cheaper but estimates, and a retry at its reset time can fail.)
        self._windows = windows
        self._per_user = per_user
        self._per_org = per_org

    async def count(self, caller: AuthInfo) -> None:
        """Counts one request, or raises RateLimitedError when a limit is reached.

        The caller's limit is hit first, then the organization's, in one atomic step: a request
        the organization's limit refuses still counts against its caller (who is sending while
        the whole organization is over); one the caller's refuses never reaches the organization's.
        Fails open: with the counters unreachable the request goes on, logged and counted.
        """
        limits = [(self._per_user, "user", f"create_connection/user/{caller.flow_user_id}")]
        if caller.organization_id is not None:
            limits.append((self._per_org, "org", f"create_connection/org/{caller.organization_id}"))
        try:
            refused = await self._windows.hit_in_turn([(item, key) for item, _, key in limits])
            if refused is not None:
                item, scope, key = limits[refused]
                RATE_LIMITED.labels(scope).inc()
                raise RateLimitedError(retry_after=await self._retry_after(item, key))
        except StorageError as error:
            SHARED_STATE_FAILURES.labels("rate_limits").inc()
            logger.warning("rate_limits_unavailable", error=type(error.storage_error).__name__)

    async def _retry_after(self, item: RateLimitItem, key: str) -> int:
        try:
            seconds = await self._windows.seconds_until_free(item, key)
        except StorageError:  # refused already: the refusal stands, with the longest wait it can mean
            return item.get_expiry()
        return max(1, math.ceil(seconds))


def create_connection_limits(settings: SharedStateSettings, redis: SharedRedis) -> CreateConnectionLimits:
    windows: MovingWindows
    if redis.client is None or settings.redis_url is None:
        windows = LocalMovingWindows()
    else:
        windows = RedisMovingWindows(redis.client, settings.redis_url.get_secret_value())
    return CreateConnectionLimits(windows=windows, per_user=settings.per_user, per_org=settings.per_org)
