import ipaddress
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

# Every settings class reads the process environment first, then `.env` if present;
# unrelated variables in either are ignored, and settings never change once loaded.
BASE_SETTINGS_CONFIG = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)


class EnvironmentAwareSettings(BaseSettings):
    """A settings class whose defaults differ in development reads APP_ENV itself, so its
    defaults are resolved when it is loaded and no caller has to know about them."""

    model_config = BASE_SETTINGS_CONFIG

    # First: the defaults of the fields below are computed from it.
    app_env: Literal["development", "production"] = "production"


def in_development(validated: dict[str, Any]) -> bool:
    """A `default_factory` for a field that is on in development and off in production."""
    return validated.get("app_env") == "development"


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address (IPv6 in brackets too): where plain http may carry a token."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_commas(value: object) -> object:
    """A `mode="before"` validator for a comma-separated list variable: its non-blank items, stripped."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value
