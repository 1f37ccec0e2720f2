"""The schema: its root types and how it is built for the app."""

import strawberry

from app.core.config import GraphQLSettings
from app.graphql.connections.mutations.connection_mutations import ConnectionMutations
from app.graphql.schemas.strawberry_boundary.flow_schema import Extension, FlowSchema
from app.graphql.trusted_documents import TrustedDocuments
from app.graphql.viewer.viewer_queries import ViewerQueries


@strawberry.type
class Query(ViewerQueries):
    pass


@strawberry.type
class Mutation(ConnectionMutations):
    pass


def create_schema(
    settings: GraphQLSettings,
    *,
    tracing: bool = False,
    trusted: TrustedDocuments | None = None,
    extensions: tuple[Extension, ...] = (),
) -> FlowSchema:
    """`trusted`: documents parsed ahead, never parsed again, and checked against the schema here
    (one that does not fit raises ConfigError). `tracing`: a span per operation. `extensions`:
    Strawberry schema extensions (an APM vendor's, say): they run as in stock Strawberry, or
    raise ConfigError naming one that cannot (docs/departures.md)."""
    parsed = trusted.parsed if trusted is not None else None
    schema = FlowSchema(Query, Mutation, settings, tracing=tracing, parsed=parsed, extensions=extensions)
    if trusted is not None:
        trusted.check(schema._schema)  # noqa: SLF001 - graphql-core's schema, which documents are validated against
    return schema
