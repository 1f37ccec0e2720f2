"""Parsing and validation under our limits, each distinct document once.

Strawberry's limiters (MaxTokensLimiter, AddValidationRules) are extensions of their own that
only set an option for the parse and validation steps, and every extension costs hook contexts
per operation (README, Performance). Here one extension - Strawberry's two caches combined -
sets those options itself.
"""

from collections.abc import Iterator, Sequence

from graphql import ASTValidationRule
from strawberry.extensions import ParserCache, ValidationCache


class LimitedDocumentCache(ParserCache, ValidationCache):
    """Parses with a token limit and validates with our extra rules; a parsed document is
    cached per (text, limit), a validation result per (document, rules)."""

    def __init__(self, *, max_tokens: int, rules: Sequence[type[ASTValidationRule]]) -> None:
        super().__init__()
        self._max_tokens = max_tokens
        # The same tuple every time: rules that differed per request would miss the cache.
        self._rules = tuple(rules)

    def on_parse(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self._max_tokens
        yield from super().on_parse()

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self._rules)
        yield from super().on_validate()
