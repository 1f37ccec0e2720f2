from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from app.core.config.base import BASE_SETTINGS_CONFIG

_SCHEMES = ("redis://", "rediss://")
_UNITS = frozenset({"second", "minute", "hour"})


def _rate(value: str) -> str:
    count, slash, unit = value.strip().partition("/")
    if not (slash and count.isdigit() and int(count) > 0 and unit in _UNITS):
        raise ValueError("must be <count>/<second|minute|hour>, e.g. 20/minute")
    return value.strip()


# A rate-limit budget, `<count>/<second|minute|hour>`: the type of every setting a
# `FieldRateLimit` (app.core.shared_state.rate_limits) names.
Rate = Annotated[str, AfterValidator(_rate)]


def rate_settings(settings: type[BaseSettings]) -> frozenset[str]:
    """The names of the fields of type `Rate` in `settings`."""
    return frozenset(
        name
        for name, field in settings.model_fields.items()
        if any(isinstance(rule, AfterValidator) and rule.func is _rate for rule in field.metadata)
    )


class SharedStateSettings(BaseSettings):
    """Where idempotency keys, in-flight locks and rate-limit counters live."""

    model_config = BASE_SETTINGS_CONFIG

    # Unset: in-process stores, right for one process. A secret: the URL may carry a password.
    redis_url: SecretStr | None = None
    # Seconds for each call to Redis, connecting included.
    redis_timeout: Annotated[float, Field(gt=0, le=10)] = 0.25
    # Seconds a stored response is replayed for its idempotency key.
    idempotency_ttl: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 24 * 3600
    # `createConnection` per caller and per organization.
    rate_limit_create_connection_per_user: Rate = "20/minute"
    rate_limit_create_connection_per_org: Rate = "200/minute"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(_SCHEMES):
            raise ValueError("must start with redis:// or rediss:// (TLS)")
        return url
