"""The GraphiQL page's development-only extras."""

from pydantic import AnyHttpUrl, ValidationInfo, field_validator

from app.core.config.base import EnvironmentAwareSettings, is_loopback_host


class GraphQLIdeSettings(EnvironmentAwareSettings):
    # APP_ENV is read (EnvironmentAwareSettings) so that a production start refuses a dev token URL.
    # Where the GraphiQL page fetches a fresh dev token (`{"token": "..."}`): the dev stack points
    # it at its identity provider. Unset: the page has no token button and empty headers.
    graphql_ide_dev_token_url: AnyHttpUrl | None = None

    @field_validator("graphql_ide_dev_token_url")
    @classmethod
    def _development_loopback_only(cls, url: AnyHttpUrl | None, info: ValidationInfo) -> AnyHttpUrl | None:
        if url is None:
            return None
        # A token endpoint exists only in the dev stack; a production page must never offer one.
        if info.data.get("app_env") != "development":
            raise ValueError("is only allowed with APP_ENV=development")
        if not is_loopback_host(url.host or ""):
            raise ValueError("must point at a loopback host (the dev stack's identity provider)")
        return url

    @property
    def dev_token_url(self) -> str | None:
        return None if self.graphql_ide_dev_token_url is None else str(self.graphql_ide_dev_token_url)
