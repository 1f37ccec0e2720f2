"""Parsing and validation under our limits, each distinct document once.

Clients send the same few documents over and over: each text is parsed once and each document
validated once (bounded LRUs keyed by the text, then by the document), which would otherwise be
half our CPU. Validation first measures the document against our limits (`limits.py`: linear in
the document, fragments measured once): a document over one is answered with that alone, before
the rules walk it. The rules are stock Strawberry's (`strawberry_rules`) plus ours. Suggestions
("Did you mean ...?") are hidden when introspection is off: they name fields a client could not
discover otherwise.
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
    validate,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.graphql.schemas.field_comparisons import explain_aborted, limit_field_comparisons
from app.graphql.schemas.limits import Limits, measure

# Distinct documents remembered, per cache.
CACHED_DOCUMENTS = 256
# What Strawberry's `validate_document` appends to an operation's rules. Not that function itself:
# it cannot hide suggestions. tests/graphql/test_validation_rules.py fails if stock Strawberry
# refuses a document these rules let through.
_APPENDED_BY_STRAWBERRY = (MaybeNullValidationRule, OneOfInputValidationRule)

Rules = tuple[type[ASTValidationRule], ...]


def strawberry_rules(operation_rules: Rules) -> Rules:
    """What stock Strawberry validates with, given an operation's rules (its ExecutionContext's
    `validation_rules`: graphql-core's specified rules, as extended by extensions such as
    `AddValidationRules`); none at all once they are emptied (`DisableValidation`)."""
    return (*operation_rules, *_APPENDED_BY_STRAWBERRY) if operation_rules else ()


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
        operation_rules: Rules,
        rules: Sequence[type[ASTValidationRule]],
        hide_suggestions: bool,
        parsed: Mapping[str, DocumentNode] | None = None,
    ) -> None:
        """`operation_rules`: Strawberry's for each operation; `rules`: ours, run with them
        always; `parsed`: documents parsed ahead (trusted documents), by text: never parsed again."""
        self.max_tokens = max_tokens
        self.operation_rules = operation_rules
        self._parsed = dict(parsed or {})
        self._schema, self._limits, self._hide_suggestions = schema, limits, hide_suggestions
        self._rules = tuple(rules)
        limit_field_comparisons(limits.max_field_comparisons)

        # Per instance, so a cache never outlives (or mixes) the schema it validated against.
        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def parse_text(text: str) -> DocumentNode:
            return parse(text, max_tokens=max_tokens)

        @lru_cache(maxsize=CACHED_DOCUMENTS)
        def validate_document(document: DocumentNode) -> list[GraphQLError]:
            return self.check(document, operation_rules)

        self._parse, self._validate = parse_text, validate_document

    def parse(self, text: str) -> DocumentNode:
        """Raises GraphQLSyntaxError for a text that does not parse (never cached)."""
        return self._parsed.get(text) or self._parse(text)

    def validate(self, document: DocumentNode) -> list[GraphQLError]:
        """Under our limits and Strawberry's rules for an operation, remembered."""
        return self._validate(document)

    def check(self, document: DocumentNode, operation_rules: Rules) -> list[GraphQLError]:
        """Under our limits and the rules an operation was given (an extension may change them)."""
        if refusals := self._limits.refusals(measure(document)):
            return refusals
        rules = (*strawberry_rules(operation_rules), *self._rules)
        if not rules:
            return []
        errors = validate(self._schema, document, rules, hide_suggestions=self._hide_suggestions)
        return explain_aborted(errors, comparisons=self._limits.max_field_comparisons)

    def prepare(self, text: str, *, operation_name: str | None) -> Prepared:
        """Raises GraphQLSyntaxError for a text that does not parse (never cached)."""
        document = self.parse(text)
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
