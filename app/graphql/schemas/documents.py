"""Parsing and validation under our limits, each distinct document once.

Clients send the same few documents over and over: each text is parsed once and each document
validated once (bounded LRUs keyed by the text, then by the document), which would otherwise be
half our CPU. Validation first measures the document against our limits (`limits.py`: linear in
the document, fragments measured once): a document over one is answered with that alone, before
graphql-core's rules (and Strawberry's two) walk it. Suggestions ("Did you mean ...?") are hidden
when introspection is off: they name fields a client could not discover otherwise.
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

from app.graphql.schemas.limits import Limits, measure

# Distinct documents remembered, per cache.
CACHED_DOCUMENTS = 256
# The rules Strawberry adds to graphql-core's own when it validates.
_STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed document, what validating it found (empty: it may run) and its operations."""

    document: DocumentNode
    errors: list[GraphQLError]
    # The operation the request names or, unnamed, the document's first (whose type Strawberry
    # checks against the HTTP method); None when there is no such operation.
    selected: OperationDefinitionNode | None
    # The operation that runs: `selected` when named or the only one, None among several unnamed.
    operation: OperationDefinitionNode | None


class DocumentCache:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        max_tokens: int,
        limits: Limits,
        rules: Sequence[type[ASTValidationRule]],
        hide_suggestions: bool,
        parsed: Mapping[str, DocumentNode] | None = None,
    ) -> None:
        """`parsed`: documents parsed ahead (trusted documents), by text: never parsed again."""
        self._parsed = dict(parsed or {})
        all_rules = (*specified_rules, *_STRAWBERRY_RULES, *rules)

        # Per instance, so a cache never outlives (or mixes) the schema it validated against.
        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def parse_text(text: str) -> DocumentNode:
            return parse(text, max_tokens=max_tokens)

        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def validate_document(document: DocumentNode) -> list[GraphQLError]:
            if refusals := limits.refusals(measure(document)):
                return refusals
            return validate(schema, document, all_rules, hide_suggestions=hide_suggestions)

        self._parse, self._validate = parse_text, validate_document

    def prepare(self, text: str, *, operation_name: str | None) -> Prepared:
        """Raises GraphQLSyntaxError for a text that does not parse (never cached)."""
        document = self._parsed.get(text) or self._parse(text)
        errors = self._validate(document)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            selected = next((o for o in operations if o.name is not None and o.name.value == operation_name), None)
            return Prepared(document, errors, selected, selected)
        selected = operations[0] if operations else None
        if len(operations) > 1:
            if not errors:
                # Without a name graphql-core would refuse too, but only once executing; the spec
                # makes it a request error, answered before anything runs.
                errors = [GraphQLError("Must provide operationName when the document contains several operations.")]
            return Prepared(document, errors, selected, None)
        return Prepared(document, errors, selected, selected)
