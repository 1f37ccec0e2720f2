"""Parsing and validation under our limits, each distinct document once.

Clients send the same few documents over and over: each text is parsed once and each document
validated once (bounded LRUs keyed by the text, then by the document), which would otherwise be
half our CPU. Validation runs graphql-core's rules, Strawberry's two, and our limits, with
suggestions ("Did you mean ...?") hidden when introspection is off: they name fields a client
could not discover otherwise.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

# Distinct documents remembered, per cache.
CACHED_DOCUMENTS = 256
# The rules Strawberry adds to graphql-core's own when it validates.
_STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed document and what validating it found (empty: it may run)."""

    document: DocumentNode
    errors: list[GraphQLError]


class DocumentCache:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        max_tokens: int,
        rules: Sequence[type[ASTValidationRule]],
        hide_suggestions: bool,
        parsed: Mapping[str, DocumentNode] | None = None,
    ) -> None:
        """`parsed`: documents parsed ahead (trusted documents), by text: never parsed again."""
        self._schema = schema
        self._parsed = dict(parsed or {})
        all_rules = (*specified_rules, *_STRAWBERRY_RULES, *rules)

        # Per instance, so a cache never outlives (or mixes) the schema it validated against.
        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def parse_text(text: str) -> DocumentNode:
            return parse(text, max_tokens=max_tokens)

        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def validate_document(document: DocumentNode) -> list[GraphQLError]:
            return validate(schema, document, all_rules, hide_suggestions=hide_suggestions)

        self._parse, self._validate = parse_text, validate_document

    def prepare(self, text: str, *, operation_name: str | None) -> Prepared:
        """Raises GraphQLSyntaxError for a text that does not parse (never cached)."""
        document = self._parsed.get(text) or self._parse(text)
        errors = self._validate(document)
        if not errors and operation_name is None and _operation_count(document) > 1:
            # Without a name graphql-core would refuse too, but only once executing; the spec
            # makes it a request error, answered before anything runs.
            errors = [GraphQLError("Must provide operationName when the document contains several operations.")]
        return Prepared(document, errors)


def find_operation(document: DocumentNode, name: str | None, *, first: bool = False) -> OperationDefinitionNode | None:
    """The operation `name` selects; with `name` None the only one, or with `first` the first
    one (whose type Strawberry checks against the HTTP method)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        return next((o for o in operations if o.name is not None and o.name.value == name), None)
    if first or len(operations) == 1:
        return operations[0] if operations else None
    return None


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)
