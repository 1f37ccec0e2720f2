"""`python -m app` against hostile GraphQL documents: refused by their shape before anything
expensive runs, and invalid ones answered as graphql-core answers them, never as a fault."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.process import UNREACHABLE_DEPENDENCIES, api_process
from tests.fixtures.logs import json_lines
from tests.fixtures.tls import CLIENT_TLS


def fragment_bomb(levels: int, *, operation: str) -> str:
    """Each fragment spreads the next one twice: a few hundred bytes that expand to 2**levels selections."""
    chain = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    return " ".join([f"query {operation} {{ ...F0 }}", *chain, f"fragment F{levels - 1} on Query {{ __typename }}"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp_path = tmp_path_factory.mktemp("graphql-cost")
    log = tmp_path / "server.log"
    env = {
        **UNREACHABLE_DEPENDENCIES,
        "WEB_CONCURRENCY": "1",
    }
    with api_process(env, cwd=tmp_path, log=log) as (url, _):
        yield url, log


def _post(url: str, query: str) -> dict[str, Any]:
    response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=60, verify=CLIENT_TLS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _errors(url: str, query: str) -> list[dict[str, Any]]:
    body = _post(url, query)
    assert body.get("data") is None
    errors: list[dict[str, Any]] = body["errors"]
    return errors


@contextmanager
def _error_lines(log: Path) -> Iterator[list[dict[str, Any]]]:
    """The error-level lines the server writes while the block runs."""
    start = log.stat().st_size
    written: list[dict[str, Any]] = []
    yield written
    with log.open() as lines:
        lines.seek(start)
        written += [line for line in json_lines(lines.read()) if line.get("level") in {"error", "critical"}]


@pytest.mark.timeout(20)
def test_a_fragment_bomb_with_a_fresh_operation_name_is_refused_by_its_expanded_size(
    server: tuple[str, Path],
) -> None:
    url, log = server
    operation = f"Bomb{uuid.uuid4().hex}"  # a document the cache has never seen

    with _error_lines(log) as error_lines:
        errors = _errors(url, fragment_bomb(25, operation=operation))

    # 2**25 - 1 selections, half of them `__typename` at the root.
    assert [e["message"] for e in errors] == [
        f"'{operation}' exceeds maximum of 1000 selections with fragments expanded",
        f"'{operation}' exceeds maximum of 20 root fields",
    ]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert error_lines == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ ...F }", "Unknown fragment 'F'."),
        ("{ viewer { ...F } }", "Unknown fragment 'F'."),
        ("query Q { ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "Cannot spread fragment 'A'"),
    ],
)
def test_invalid_documents_get_graphql_cores_own_validation_error_and_no_error_line(
    server: tuple[str, Path], query: str, message: str
) -> None:
    url, log = server

    with _error_lines(log) as error_lines:
        errors = _errors(url, query)

    assert errors[0]["message"].startswith(message)
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert error_lines == []


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        # graphql-core accepts empty selection sets (graphql-spec PR 1227) and executes them.
        ("query {}", {"data": {}}),
        ("{ viewer {} }", {"data": None, "code": "UNAUTHORIZED"}),
    ],
)
def test_empty_selections_are_answered_as_graphql_core_answers_them(
    server: tuple[str, Path], query: str, answer: dict[str, Any]
) -> None:
    url, log = server

    with _error_lines(log) as error_lines:
        body = _post(url, query)

    assert body.get("data") == answer["data"]
    assert [e["extensions"]["code"] for e in body.get("errors", [])] == ([answer["code"]] if "code" in answer else [])
    assert error_lines == []
