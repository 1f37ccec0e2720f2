from typing import Annotated

from pydantic import Field

from app.core.config.base import EnvironmentAwareSettings, in_development


class GraphQLSettings(EnvironmentAwareSettings):
    """Limits on what a client may ask; defaults pass every legitimate operation of our schema."""

    # Field nesting below the root (`viewer { flowUserId }` is 1); introspection fields are
    # not counted (Strawberry's rule), production refuses introspection instead.
    graphql_max_depth: Annotated[int, Field(ge=0, le=100)] = 10
    graphql_max_aliases: Annotated[int, Field(ge=0, le=1000)] = 15
    graphql_max_tokens: Annotated[int, Field(ge=10, le=100_000)] = 2000
    graphql_max_body_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 64 * 1024
    # Unset: on in development, off in production.
    graphql_introspection: bool = Field(default_factory=in_development)
    graphql_ide: bool = Field(default_factory=in_development)
