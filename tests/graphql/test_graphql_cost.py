"""GraphQL cost is linear in the document: generated documents (fragment fan-out, cycles, unknown
fragments, deep nesting, many directives and aliases, long names, empty selections) are measured
with at most VISITS_PER_TOKEN node visits per token, and refused by our limits or answered
exactly as graphql-core answers them, never with a fault."""

import functools
from dataclasses import dataclass

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    KnownFragmentNamesRule,
    NoFragmentCyclesRule,
    parse,
    specified_rules,
    validate,
)
from graphql.language import Lexer, Source, TokenKind
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strawberry.extensions import QueryDepthLimiter
from strawberry.extensions.max_aliases import count_fields_with_alias

from app.core.config import GraphQLSettings
from app.graphql.schemas.documents import DocumentCache
from app.graphql.schemas.limits import Limits, measure
from app.graphql.schemas.schema import create_schema

# Each selection is visited at most twice (once to order the fragments, once to measure it) and
# owns at least one token; an operation owns at least one token and is visited once.
VISITS_PER_TOKEN = 2
SCHEMA = create_schema(GraphQLSettings(app_env="development"))._schema  # noqa: SLF001 - what documents are validated against
LIMITS = Limits.of(GraphQLSettings(app_env="development"))
FRAGMENTS = [f"F{i}" for i in range(4)]

names = st.sampled_from(["viewer", "flowUserId", "organizationId", "__typename", "nope"]) | st.builds(
    "{}{}".format, st.sampled_from(["_", "n", "Long"]), st.text("abcXYZ_019", max_size=300)
)
directives = st.lists(
    st.sampled_from(["@include(if: true)", "@skip(if: false)", "@unknown", "@include(if: $flag)"]), max_size=6
).map(" ".join)


@dataclass(frozen=True)
class Hostility:
    """Which hostile shapes a generated document may take."""

    unknown_and_cycles: bool = True
    empty: bool = True


# Built once per shape, not on every draw: hypothesis validates each new strategy before drawing
# from it, which cost more than the examples themselves.
@functools.cache
def _selection_sets(hostility: Hostility, *, after: int, defined: int) -> st.SearchStrategy[str]:
    # Without cycles and unknown fragments, a selection set spreads only fragments defined after it.
    targets = FRAGMENTS[after:defined] if not hostility.unknown_and_cycles else [*FRAGMENTS, "Nope"]
    spreads = [st.sampled_from(targets).map(lambda name: f"...{name}")] if targets else []
    leaves = st.one_of(st.tuples(st.none() | names, names, directives).map(_field), *spreads)

    def nest(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        selection_set = (
            st.lists(inner, min_size=0 if hostility.empty else 1, max_size=4).map(" ".join).map("{{ {} }}".format)
        )
        field = st.tuples(st.none() | names, names, directives, selection_set).map(_field)
        inline = st.tuples(st.sampled_from(["", "on Query", "on Viewer"]), directives, selection_set)
        return field | inline.map(lambda parts: "... {} {} {}".format(*parts))

    selections = st.recursive(leaves, nest, max_leaves=12)
    return st.lists(selections, min_size=0 if hostility.empty else 1, max_size=4).map(" ".join).map("{{ {} }}".format)


def _field(parts: tuple[str | None, ...]) -> str:
    alias, name, *rest = parts
    return " ".join([f"{alias}: {name}" if alias else str(name), *(part or "" for part in rest)])


@st.composite
def documents(draw: st.DrawFn, hostility: Hostility = Hostility()) -> str:
    kind = draw(
        st.sampled_from(["random", "fan_out", "nesting"]) if hostility.unknown_and_cycles else st.just("random")
    )
    if kind == "fan_out":  # each fragment spreads the next `width` times: width**levels selections
        levels, width = draw(st.integers(1, 80)), draw(st.integers(1, 4))
        chain = [f"fragment G{i} on Query {{ {f' ...G{i + 1}' * width} }}" for i in range(levels)]
        return " ".join(["query Q { ...G0 }", *chain, f"fragment G{levels} on Query {{ __typename }}"])
    if kind == "nesting":
        depth = draw(st.integers(1, 150))
        return "{" + " viewer {" * depth + " __typename" + " }" * depth + " }"
    count = draw(st.integers(0, len(FRAGMENTS)))
    fragments = [
        f"fragment {FRAGMENTS[i]} on Query {draw(_selection_sets(hostility, after=i + 1, defined=count))}"
        for i in range(count)
    ]
    operation = draw(st.sampled_from(["", "query Q($flag: Boolean!) ", "mutation M "]))
    return f"{operation}{draw(_selection_sets(hostility, after=0, defined=count))} {' '.join(fragments)}"


def _tokens(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


@pytest.fixture(scope="module")
def cache() -> DocumentCache:
    return DocumentCache(
        SCHEMA,
        max_tokens=100_000,
        limits=LIMITS,
        operation_rules=tuple(specified_rules),
        rules=[],
        hide_suggestions=False,
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=documents())
def test_a_document_costs_a_constant_per_token_and_is_refused_or_answered_as_graphql_core_answers_it(
    cache: DocumentCache, text: str
) -> None:
    document = parse(text)
    measured = measure(document)
    refusals = LIMITS.refusals(measured)

    errors = cache.prepare(text, operation_name=None).errors

    assert measured.visits <= VISITS_PER_TOKEN * _tokens(text)
    assert all(error.original_error is None for error in errors)  # no fault: GRAPHQL_VALIDATION_FAILED
    expected = refusals or validate(SCHEMA, document, specified_rules)  # each document has one operation
    assert _answers(errors) == _answers(expected)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(text=documents(Hostility(unknown_and_cycles=False, empty=False)))
def test_depth_and_aliases_are_strawberrys_where_its_limiters_can_measure(text: str) -> None:
    document = parse(text)
    [(operation, shape)] = measure(document).operations
    assume(shape.selections <= 2_000)  # Strawberry's walk costs what the document expands to

    assert shape.depth == _strawberry_depth(document)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    assert shape.aliases == count_fields_with_alias(operation, fragments)


def _strawberry_depth(document: DocumentNode) -> int:
    assert validate(SCHEMA, document, [NoFragmentCyclesRule, KnownFragmentNamesRule]) == []
    depths: dict[str, int] = {}
    validate(SCHEMA, document, QueryDepthLimiter(max_depth=10_000, callback=depths.update).validation_rules)
    [depth] = depths.values()
    return depth


def _answers(errors: list[GraphQLError]) -> list[object]:
    return [error.formatted for error in errors]
