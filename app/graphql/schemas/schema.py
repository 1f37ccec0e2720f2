from typing import Any

import strawberry
import structlog
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.types import ExecutionContext

from app.core.config import GraphQLSettings
from app.errors.classification import is_unexpected
from app.graphql.connections.mutations.connection_mutations import ConnectionMutations
from app.graphql.schemas.documents import LimitedDocumentCache
from app.graphql.schemas.observability import RequestObservability
from app.graphql.trusted_documents import TrustedDocuments
from app.graphql.viewer.viewer_queries import ViewerQueries

logger = structlog.get_logger(__name__)


@strawberry.type
class Query(ViewerQueries):
    pass


@strawberry.type
class Mutation(ConnectionMutations):
    pass


class FlowSchema(strawberry.Schema):
    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,  # noqa: ARG002 - the base signature
    ) -> None:
        # Typed errors are answers, not faults; only the unexpected ones are logged, in full.
        for error in errors:
            if is_unexpected(error):
                logger.error("graphql_unexpected_error", path=error.path, exc_info=error.original_error)


def create_schema(
    settings: GraphQLSettings, *, tracing: bool = False, trusted: TrustedDocuments | None = None
) -> strawberry.Schema:
    """`trusted`: documents parsed ahead, never parsed again, and checked against the schema here
    (one that does not fit raises ConfigError)."""
    # Factories, not instances: Strawberry builds fresh extensions for every operation.
    # The limits run while parsing and validating, so a hostile document never executes.
    introspection = settings.graphql_introspection
    rules = _limit_rules(settings, introspection=introspection)
    extensions: list[Any] = [
        RequestObservability,
        # Clients send the same few documents over and over: each is parsed and validated once
        # (bounded LRUs keyed by the text, then by document and rules) - half our CPU otherwise.
        # Suggestions name fields a client could not discover otherwise: hidden with introspection.
        lambda: LimitedDocumentCache(
            max_tokens=settings.graphql_max_tokens,
            rules=rules,
            hide_suggestions=not introspection,
            parsed=trusted.parsed if trusted is not None else None,
        ),
    ]
    if tracing:
        # A span per operation (and its phases); only when spans are recorded, as it costs per resolver.
        extensions.append(OpenTelemetryExtension)
    schema = FlowSchema(query=Query, mutation=Mutation, extensions=extensions)
    if trusted is not None:
        trusted.check(schema._schema)  # noqa: SLF001 - graphql-core's schema, which documents are validated against
    return schema


def _limit_rules(settings: GraphQLSettings, *, introspection: bool) -> list[type[ASTValidationRule]]:
    """The limit rules, built once: each limiter extension makes a new rule class per instance,
    and rules that change per request would make every ValidationCache lookup a miss."""
    rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules
