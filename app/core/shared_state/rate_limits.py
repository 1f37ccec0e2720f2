"""Rate limits declared per GraphQL field: which field, under which counters, by which settings.

A field's service names its `FieldRateLimit` and counts each request against it before calling
Flow Connect; every declared budget is a caller's and their organization's moving window.
"""

import math
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse
from limits.errors import StorageError

from app.auth import AuthInfo
from app.core.config import SharedStateSettings
from app.core.config.shared_state_settings import rate_settings
from app.core.observability.metrics import RATE_LIMITED, SHARED_STATE_FAILURES
from app.core.shared_state.moving_windows import LocalMovingWindows, MovingWindows, RedisMovingWindows
from app.core.shared_state.redis import SharedRedis
from app.errors import RateLimitedError

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRateLimit:
    """One field's budget. `key` prefixes its counters (`<key>/user/<id>`, `<key>/org/<id>`):
    renaming a deployed one starts every count afresh, and replicas on both names count apart.
    `per_user_setting` and `per_org_setting` name fields of type `Rate` in `settings`: checked
    as the declaration is made, so a misspelt name stops the service at start-up."""

    field: str
    key: str
    per_user_setting: str
    per_org_setting: str
    settings: type[SharedStateSettings] = SharedStateSettings

    def __post_init__(self) -> None:
        rates = rate_settings(self.settings)
        for setting in (self.per_user_setting, self.per_org_setting):
            if setting not in rates:
                raise TypeError(
                    f"{self.field}'s rate limit names {setting!r}, which is no Rate setting of "
                    f"{self.settings.__name__} (it has {', '.join(sorted(rates)) or 'none'})"
                )


@dataclass(frozen=True, slots=True)
class _Budget:
    per_user: RateLimitItem
    per_org: RateLimitItem


class RateLimits:
    """How many requests to each declared field a caller, and their organization, may send per window."""

    def __init__(self, *, windows: MovingWindows, settings: SharedStateSettings) -> None:
        # A moving window: its reset time is exact, so `retryAfter` is when a retry will pass. (A
        # sliding window counter is cheaper but estimates, and a retry at its reset time can fail.)
        self._windows = windows
        self._settings = settings
        self._budgets: dict[FieldRateLimit, _Budget] = {}  # one per declaration in the code

    async def count(self, limit: FieldRateLimit, caller: AuthInfo) -> None:
        """Counts one request to `limit`'s field, or raises RateLimitedError when a limit is reached.

        The caller's limit is hit first, then the organization's, in one atomic step: a request
        the organization's limit refuses still counts against its caller (who is sending while
        the whole organization is over); one the caller's refuses never reaches the organization's.
        Fails open: with the counters unreachable the request goes on, logged and counted.
        """
        budget = self._budget(limit)
        limits = [(budget.per_user, "user", f"{limit.key}/user/{caller.flow_user_id}")]
        if caller.organization_id is not None:
            limits.append((budget.per_org, "org", f"{limit.key}/org/{caller.organization_id}"))
        try:
            refused = await self._windows.hit_in_turn([(item, key) for item, _, key in limits])
            if refused is not None:
                item, scope, key = limits[refused]
                RATE_LIMITED.labels(scope).inc()
                raise RateLimitedError(retry_after=await self._retry_after(item, key))
        except StorageError as error:
            SHARED_STATE_FAILURES.labels("rate_limits").inc()
            logger.warning("rate_limits_unavailable", error=type(error.storage_error).__name__)

    def _budget(self, limit: FieldRateLimit) -> _Budget:
        if (budget := self._budgets.get(limit)) is None:
            budget = self._budgets[limit] = _Budget(
                per_user=parse(self._rate(limit.per_user_setting)), per_org=parse(self._rate(limit.per_org_setting))
            )
        return budget

    def _rate(self, setting: str) -> str:
        value = getattr(self._settings, setting, None)
        if not isinstance(value, str):
            raise TypeError(f"{type(self._settings).__name__} has no rate setting {setting!r}")
        return value

    async def _retry_after(self, item: RateLimitItem, key: str) -> int:
        try:
            seconds = await self._windows.seconds_until_free(item, key)
        except StorageError:  # refused already: the refusal stands, with the longest wait it can mean
            return item.get_expiry()
        return max(1, math.ceil(seconds))


def create_rate_limits(settings: SharedStateSettings, redis: SharedRedis) -> RateLimits:
    windows: MovingWindows
    if redis.client is None or settings.redis_url is None:
        windows = LocalMovingWindows()
    else:
        windows = RedisMovingWindows(redis.client, settings.redis_url.get_secret_value())
    return RateLimits(windows=windows, settings=settings)
