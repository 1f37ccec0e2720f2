"""A bound on graphql-core's pairwise field comparisons, through its documented knob.

`OverlappingFieldsCanBeMerged` compares, in pairs, the fields that share a response name within a
selection set and across the fragments spread into it: quadratic in such fields, so a document
within every limit of `limits.py` could cost seconds of CPU (figures in docs/strawberry-limiters.md).
graphql-core meters that work with a budget it documents as set by assigning its module
attribute `MAX_COMPLEXITY_BUDGET` (read as each validation starts; one comparison costs two
units); past it, validation stops with "Validation aborted.", which we answer in words a client
can act on.
"""

from graphql import GraphQLError
from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError

_UNITS_PER_COMPARISON = 2
_ABORTED = "Validation aborted."


def limit_field_comparisons(comparisons: int) -> None:
    """Process-wide, as graphql-core keeps it: one schema serves a process (tests build several,
    all from settings with the same default)."""
    overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = _UNITS_PER_COMPARISON * comparisons


def explain_aborted(errors: list[GraphQLError], *, comparisons: int) -> list[GraphQLError]:
    """graphql-core's bare "Validation aborted." (its budget spent) said with the limit and its setting."""
    message = (
        "The document costs too much to validate: fields sharing a response name are compared in pairs, "
        f"at most {comparisons} comparisons (GRAPHQL_MAX_FIELD_COMPARISONS)."
    )
    return [
        GraphQLError(message) if isinstance(error, ValidationAbortedError) and error.message == _ABORTED else error
        for error in errors
    ]
