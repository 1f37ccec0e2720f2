"""Nothing configured on the schema is silently ignored: Strawberry's extensions (with their
`resolve` middleware), custom directives and `operation_extensions` run as stock Strawberry runs
them, and the extensions that would undo our limits are refused at start-up with one line."""

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry.extensions import AddValidationRules, DisableValidation, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.types import ExecutionResult

from app.core.config import ConfigError, GraphQLSettings
from app.graphql.schemas.schema import create_schema
from app.graphql.schemas.strawberry_boundary.flow_schema import Extension, FlowSchema
from tests.e2e.process import REPO_ROOT
from tests.graphql.strawberry_boundary.roots import Mutation, Query, Recorder, upper

SETTINGS = GraphQLSettings(app_env="development")


def _schemas(**configured: Any) -> tuple[FlowSchema, strawberry.Schema]:
    return (
        FlowSchema(Query, Mutation, SETTINGS, **configured),
        strawberry.Schema(query=Query, mutation=Mutation, **configured),
    )


async def _both(schemas: Sequence[strawberry.Schema], query: str, **kwargs: Any) -> list[ExecutionResult]:
    return [await schema.execute(query, **kwargs) for schema in schemas]


def _answer(result: ExecutionResult) -> tuple[object, list[str], object]:
    return result.data, [error.message for error in result.errors or ()], result.extensions


async def test_an_extensions_hooks_and_its_resolve_middleware_run_as_in_stock_strawberry() -> None:
    recorded = []
    for schema in _schemas(extensions=[Recorder]):
        Recorder.seen = []
        result = await schema.execute('{ hello(name: "ada") }')
        recorded.append((_answer(result), Recorder.seen))

    ours, stock = recorded
    assert ours == stock
    assert ours[1] == ["operation", "parse", "validate", "execute", "resolve hello", "operation done"]
    assert ours[0] == ({"hello": "hello ada"}, [], {"hooks": 6})


async def test_a_custom_directive_runs_as_in_stock_strawberry() -> None:
    ours, stock = await _both(_schemas(directives=[upper]), "{ hello @upper }")

    assert _answer(ours) == _answer(stock) == ({"hello": "HELLO WORLD"}, [], {})


@pytest.mark.parametrize("configured", [{}, {"extensions": [Recorder]}], ids=["straight pass", "Strawberry's execute"])
async def test_operation_extensions_reach_resolvers_as_in_stock_strawberry(configured: dict[str, Any]) -> None:
    sent = {"persistedQuery": {"version": 1}}

    ours, stock = await _both(_schemas(**configured), "{ sentExtensions }", operation_extensions=sent)

    assert ours.data == stock.data == {"sentExtensions": repr(sent)}


async def test_added_validation_rules_run_and_our_limits_still_apply_with_extensions() -> None:
    class NoHello(ValidationRule):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            if node.name.value == "hello":
                self.report_error(GraphQLError("no hello here"))

    ours, stock = await _both(_schemas(extensions=[lambda: AddValidationRules([NoHello])]), "{ hello }")
    too_deep = "{ " + "a { " * 20 + "b" + " }" * 21
    [over_limit] = await _both(_schemas(extensions=[Recorder])[:1], too_deep)

    assert _answer(ours) == _answer(stock) == (None, ["no hello here"], {})
    assert [error.message for error in over_limit.errors or ()] == [
        f"'anonymous' exceeds maximum operation depth of {SETTINGS.graphql_max_depth}"
    ]


@pytest.mark.parametrize(
    "extension",
    [ParserCache, lambda: ValidationCache(maxsize=10), lambda: MaxTokensLimiter(10), DisableValidation],
    ids=["ParserCache", "ValidationCache", "MaxTokensLimiter", "DisableValidation"],
)
def test_an_extension_that_would_undo_our_limits_is_refused_naming_it(extension: Extension) -> None:
    with pytest.raises(ConfigError) as refused:
        create_schema(SETTINGS, extensions=(extension,))

    named = str(refused.value).split()[1]
    assert str(refused.value) == f"Strawberry's {named} cannot run here: FlowSchema parses and validates itself"
    assert named in {"ParserCache", "ValidationCache", "MaxTokensLimiter", "DisableValidation"}


def test_python_m_app_refuses_it_at_start_up_with_one_line(tmp_path: Path) -> None:
    # The schema as `app.main` would build it, with ParserCache added in code, as an operator would.
    started = (
        "import functools, sys; import app.__main__ as m; from app.graphql.schemas.schema import create_schema;"
        "from strawberry.extensions import ParserCache;"
        "m.create_schema = functools.partial(create_schema, extensions=(ParserCache,)); sys.exit(m.main())"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    env |= {"WORKOS_CLIENT_ID": "client_x", "FLOW_CONNECT_API_URL": "https://flow.example"}
    result = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", started], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert result.stderr == (
        "flow-api: configuration error: Strawberry's ParserCache cannot run here: "
        "FlowSchema parses and validates itself\n"
    )
