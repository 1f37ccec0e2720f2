"""Which browser origins may call the API (CORS); the development default is resolved here."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import field_validator
from pydantic_settings import NoDecode

from app.core.config.base import EnvironmentAwareSettings, split_commas

# Any port of the two loopback names a front-end dev server uses; `fullmatch`ed by Starlette.
DEVELOPMENT_ORIGIN_REGEX = r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?"


class CorsSettings(EnvironmentAwareSettings):
    # Comma-separated exact origins, e.g. `https://app.flow.example`. Unset: none in production,
    # any http://localhost:<port> or http://127.0.0.1:<port> in development; empty: none anywhere.
    cors_allow_origins: Annotated[tuple[str, ...] | None, NoDecode] = None

    _split_origins = field_validator("cors_allow_origins", mode="before")(split_commas)

    @field_validator("cors_allow_origins")
    @classmethod
    def _exact_origins(cls, origins: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for origin in origins or ():
            _check_origin(origin)
        return origins

    @property
    def allow_origins(self) -> tuple[str, ...]:
        return self.cors_allow_origins or ()

    @property
    def allow_origin_regex(self) -> str | None:
        if self.cors_allow_origins is None and self.app_env == "development":
            return DEVELOPMENT_ORIGIN_REGEX
        return None

    @property
    def enabled(self) -> bool:
        return bool(self.allow_origins) or self.allow_origin_regex is not None


def _check_origin(origin: str) -> None:
    # Browsers send the origin serialized (lowercase scheme and host, no path): anything else
    # would never match, so it is refused at start-up rather than silently ignored.
    problem = f"{origin!r} is not an origin such as https://app.example.com (scheme, host, optional port)"
    try:
        parts = urlsplit(origin)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise ValueError(problem) from None
    serialized = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in {"http", "https"} or not parts.hostname or not port_ok or "@" in parts.netloc:
        raise ValueError(problem)
    if origin != serialized or origin != origin.lower():
        raise ValueError(f"{problem}; write it as the browser sends it: lowercase, no path or trailing slash")
