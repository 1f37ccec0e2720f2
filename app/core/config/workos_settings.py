from typing import Annotated, Self

from pydantic import AnyHttpUrl, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from app.core.config.base import BASE_SETTINGS_CONFIG, split_commas

WORKOS_API = "https://api.workos.com"


class WorkOSSettings(BaseSettings):
    model_config = BASE_SETTINGS_CONFIG

    workos_client_id: Annotated[str, Field(min_length=1, pattern=r"^\S+$")]
    workos_jwks_url: AnyHttpUrl | None = None
    # A comma-separated allow-list: WorkOS signs with `<api>/user_management/<client_id>`
    # in newer environments, with `<api>` in older ones, or with a custom auth domain.
    workos_issuer: Annotated[tuple[str, ...], NoDecode] = ()
    # A comma-separated allow-list of `aud` values naming this API (RFC 8707 resource indicators).
    # AuthKit session tokens carry no `aud` and pass whatever is set; a token that carries one
    # must name an audience here, so with none set every token carrying `aud` is refused.
    workos_audience: Annotated[tuple[str, ...], NoDecode] = ()
    # Seconds. A token with an unknown `kid` refreshes the keys at most this often,
    # so garbage tokens cannot make us hammer the JWKS endpoint.
    workos_jwks_min_refresh_interval: Annotated[float, Field(ge=0)] = 10.0
    workos_jwks_cache_ttl: Annotated[float, Field(gt=0)] = 600.0
    # Seconds: one deadline for a whole key-set fetch, so a slow endpoint cannot stall sign-in.
    workos_jwks_fetch_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0

    _split_lists = field_validator("workos_issuer", "workos_audience", mode="before")(split_commas)

    @model_validator(mode="after")
    def _default_from_client_id(self) -> Self:
        if self.workos_jwks_url is None:
            object.__setattr__(self, "workos_jwks_url", AnyHttpUrl(f"{WORKOS_API}/sso/jwks/{self.workos_client_id}"))
        if not self.workos_issuer:
            issuers = (f"{WORKOS_API}/user_management/{self.workos_client_id}", WORKOS_API)
            object.__setattr__(self, "workos_issuer", issuers)
        return self

    @property
    def jwks_url(self) -> str:
        return str(self.workos_jwks_url)
