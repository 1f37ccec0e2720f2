"""FlowSchema answers as stock Strawberry does, on its straight pass and through Strawberry's own
`execute`: every validation rule stock Strawberry runs is run (a document breaking each), and
valid documents get the same data. A Strawberry release that adds a rule, or a parameter to
`execute`, fails here (docs/departures.md, "Strawberry and graphql-core")."""

import inspect
from typing import Any

import pytest
import strawberry
from strawberry.types import ExecutionResult

from app.core.config import GraphQLSettings
from app.graphql.schemas.strawberry_boundary.flow_schema import FlowSchema
from tests.graphql.strawberry_boundary.roots import Mutation, Query, Recorder

# Suggestions shown, introspection allowed: as stock Strawberry answers.
SETTINGS = GraphQLSettings(app_env="development")

BREAKING_A_RULE = {
    "ExecutableDefinitions": "{ hello } type T { a: String }",
    "UniqueOperationNames": "query A { hello } query A { hello }",
    "LoneAnonymousOperation": "{ hello } query B { hello }",
    "KnownTypeNames": "query ($a: Nope) { hello }",
    "FragmentsOnCompositeTypes": "{ ...F } fragment F on String { length }",
    "VariablesAreInputTypes": "query ($a: Query) { hello }",
    "ScalarLeafs": "{ hello { length } }",
    "FieldsOnCorrectType": "{ helo }",
    "UniqueFragmentNames": "{ ...F } fragment F on Query { hello } fragment F on Query { hello }",
    "KnownFragmentNames": "{ ...Nope }",
    "NoUnusedFragments": "{ hello } fragment F on Query { hello }",
    "PossibleFragmentSpreads": "{ ...F } fragment F on Mutation { ping }",
    "NoFragmentCycles": "{ ...F } fragment F on Query { ...G } fragment G on Query { ...F }",
    "UniqueVariableNames": "query ($a: String, $a: String) { hello(name: $a) }",
    "NoUndefinedVariables": "{ hello(name: $a) }",
    "NoUnusedVariables": "query ($a: String) { hello }",
    "KnownDirectives": "{ hello @nope }",
    "UniqueDirectivesPerLocation": "{ hello @skip(if: true) @skip(if: true) }",
    "KnownArgumentNames": '{ hello(nam: "x") }',
    "UniqueArgumentNames": '{ hello(name: "a", name: "b") }',
    "ValuesOfCorrectType": "{ hello(name: 1) }",
    "ProvidedRequiredArguments": "{ target }",
    "VariablesInAllowedPosition": "query ($a: Int) { hello(name: $a) }",
    "OverlappingFieldsCanBeMerged": '{ x: hello(name: "a") x: hello(name: "b") }',
    "UniqueInputFieldNames": '{ target(target: { org: "a", org: "b" }) }',
    "OneOfInputValidation (Strawberry)": '{ target(target: { org: "a", user: "b" }) }',
    "MaybeNullValidation (Strawberry)": "{ maybe(value: null) }",
}
VALID = {
    "a field": "{ hello }",
    "an argument": '{ hello(name: "ada") }',
    "a variable": "query ($n: String!) { hello(name: $n) }",
    "a fragment": "{ ...F } fragment F on Query { hello }",
    "a oneOf input": '{ target(target: { user: "u" }) }',
    "a mutation": "mutation { ping }",
    "a bad variable": "query ($n: String!) { hello(name: $n) }",
}
VARIABLES: dict[str, dict[str, Any]] = {"a variable": {"n": "bo"}, "a bad variable": {"n": 3}}


def _answer(result: ExecutionResult) -> tuple[object, list[str]]:
    return result.data, sorted(error.message for error in result.errors or ())


@pytest.fixture(scope="module")
def stock() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation)


@pytest.mark.parametrize("configured", [{}, {"extensions": [Recorder]}], ids=["straight pass", "Strawberry's execute"])
@pytest.mark.parametrize("name", [*BREAKING_A_RULE, *VALID])
async def test_the_same_answer_as_stock_strawberry(
    stock: strawberry.Schema, configured: dict[str, Any], name: str
) -> None:
    text = BREAKING_A_RULE.get(name) or VALID[name]
    ours = FlowSchema(Query, Mutation, SETTINGS, **configured)

    answered = await ours.execute(text, variable_values=VARIABLES.get(name))
    expected = await stock.execute(text, variable_values=VARIABLES.get(name))

    assert _answer(answered) == _answer(expected)
    if name in BREAKING_A_RULE:
        assert answered.errors, "the document breaks no rule: the corpus no longer tests it"


def test_execute_takes_what_strawberrys_takes() -> None:
    """A parameter Strawberry's `execute` gains would otherwise be dropped by ours unseen."""
    theirs = inspect.signature(strawberry.Schema.execute).parameters
    ours = inspect.signature(FlowSchema.execute).parameters

    assert list(ours) == list(theirs)
