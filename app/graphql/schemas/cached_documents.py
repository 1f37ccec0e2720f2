"""Our document cache and limits inside Strawberry's own execution, through its documented hooks.

FlowSchema takes Strawberry's execution whenever extensions or directives are configured (so
they run as Strawberry runs them); this extension, run after theirs, keeps our token limit, our
limits and the cache there, as Strawberry's `MaxTokensLimiter`, `ParserCache` and
`ValidationCache` do for theirs.
"""

from collections.abc import Iterator
from contextlib import suppress

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.graphql.schemas.documents import DocumentCache


class CachedDocuments(SchemaExtension):
    def __init__(self, documents: DocumentCache) -> None:
        super().__init__()
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._documents.max_tokens
        if context.graphql_document is None and context.query:
            # One that does not parse is parsed again by Strawberry, under the same token limit,
            # which answers it as it answers any.
            with suppress(GraphQLError):
                context.graphql_document = self._documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            rules = context.validation_rules
            document = context.graphql_document
            # The rules as Strawberry gave them are validated once per document; changed by an
            # extension (AddValidationRules, DisableValidation, ...), on every request, as stock.
            same = rules == self._documents.operation_rules
            errors = self._documents.validate(document) if same else self._documents.check(document, rules)
            context.pre_execution_errors = errors
        yield
