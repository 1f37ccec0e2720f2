"""Parsing and validation under our limits, each distinct document once.

Strawberry's limiters (MaxTokensLimiter, AddValidationRules) are extensions of their own that
only set an option for the parse and validation steps, and every extension costs hook contexts
per operation. Here one extension sets those options itself, and validates through a cache of
its own so that suggestions ("Did you mean ...?") can be hidden, which Strawberry's
ValidationCache cannot ask graphql-core for.
"""

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, validate
from strawberry.extensions import ParserCache
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

# Distinct documents remembered; clients send the same few over and over.
CACHED_DOCUMENTS = 256
# The rules Strawberry adds to graphql-core's own in its validate_document.
_STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    hide_suggestions: bool,
) -> list[GraphQLError]:
    return validate(schema, document, rules, hide_suggestions=hide_suggestions)


class LimitedDocumentCache(ParserCache):
    """Parses with a token limit and validates with our extra rules; a parsed document is
    cached per (text, limit), a validation result per (document, rules)."""

    def __init__(
        self,
        *,
        max_tokens: int,
        rules: Sequence[type[ASTValidationRule]],
        hide_suggestions: bool,
        parsed: Mapping[str, DocumentNode] | None = None,
    ) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)
        self._parsed = parsed or {}
        self._max_tokens = max_tokens
        # The same tuple every time: rules that differed per request would miss the cache.
        self._rules = (*_STRAWBERRY_RULES, *rules)
        self._hide_suggestions = hide_suggestions

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if (document := self._parsed.get(context.query or "")) is not None:
            context.graphql_document = document
            yield
            return
        context.parse_options["max_tokens"] = self._max_tokens
        yield from super().on_parse()

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # noqa: S101 - Strawberry validates only what it parsed
        errors = _validate(
            context.schema._schema,  # noqa: SLF001 - the graphql-core schema Strawberry validates against
            document,
            (*context.validation_rules, *self._rules),
            hide_suggestions=self._hide_suggestions,
        )
        # `operation_name` falls back to the first operation's name; only what the client sent counts.
        named_by_client = context._provided_operation_name is not None  # noqa: SLF001
        if not errors and not named_by_client and _operation_count(document) > 1:
            # Strawberry would run the first; the spec makes this a request error.
            errors = [GraphQLError("Must provide operationName when the document contains several operations.")]
        context.pre_execution_errors = errors
        yield


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)
