"""Trusted documents: named by hash in both request forms, enforced or logged, checked at start-up."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from app.core.config import GraphQLSettings
from tests.conftest import ApiFactory, RunningUpstream
from tests.e2e.process import run_app_until_exit
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

VIEWER = "query Viewer { viewer { flowUserId } }"
TRUSTED = [VIEWER, CREATE_CONNECTION_TO_GLOBEX]


def _digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _manifest(tmp_path: Path, documents: dict[str, str] | None = None) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps(documents if documents is not None else {_digest(d): d for d in TRUSTED}))
    return path


def _graphql(tmp_path: Path, mode: str) -> GraphQLSettings:
    return GraphQLSettings(graphql_trusted_documents=_manifest(tmp_path), graphql_trusted_documents_mode=mode)


@pytest.mark.parametrize("form", ["documentId", "persistedQuery"])
async def test_a_trusted_document_runs_when_named_by_its_hash(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream, tmp_path: Path, form: str
) -> None:
    api = await start_api(graphql=_graphql(tmp_path, "enforce"))
    digest = _digest(CREATE_CONNECTION_TO_GLOBEX)
    named = (
        {"documentId": f"sha256:{digest}"}
        if form == "documentId"
        else {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    )

    response = await api.http.post("/graphql", json=named, headers={"Authorization": f"Bearer {idp.token()}"})

    assert response.json() == {"data": {"createConnection": True}}
    assert len(upstream.fake.requests) == 1


# `*/*` is what curl and fetch() send; an IDE page is only for a GET that names no document.
@pytest.mark.parametrize("accept", ["application/json", "*/*", "text/html, */*;q=0.8", None])
async def test_a_document_named_over_get_runs_too(
    start_api: ApiFactory, idp: RunningIdentityProvider, tmp_path: Path, accept: str | None
) -> None:
    api = await start_api(graphql=_graphql(tmp_path, "enforce"))
    headers = {"Authorization": f"Bearer {idp.token()}"} | ({} if accept is None else {"Accept": accept})

    response = await api.http.get("/graphql", params={"documentId": f"sha256:{_digest(VIEWER)}"}, headers=headers)

    assert response.json()["data"]["viewer"]["flowUserId"]


@pytest.mark.parametrize("mode", ["enforce", "log"])
@pytest.mark.parametrize(
    "named",
    [
        {"documentId": "sha256:" + "0" * 64},
        {"documentId": "md5:abc"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "f" * 64}}},
    ],
    ids=["unknown documentId", "not a sha256 id", "unknown persistedQuery"],
)
async def test_an_unknown_hash_is_persisted_query_not_found(
    start_api: ApiFactory, tmp_path: Path, mode: str, named: dict[str, object]
) -> None:
    api = await start_api(graphql=_graphql(tmp_path, mode))

    response = await api.http.post("/graphql", json=named)

    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert response.status_code == 400


async def test_enforce_mode_refuses_any_other_document_and_runs_nothing(
    start_api: ApiFactory, idp: RunningIdentityProvider, upstream: RunningUpstream, tmp_path: Path
) -> None:
    api = await start_api(graphql=_graphql(tmp_path, "enforce"))
    other = CREATE_CONNECTION_TO_GLOBEX.replace("mutation {", "mutation Sneaky {")

    refused = await api.execute(other, token=idp.token())
    trusted_text = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    assert refused.error_codes == ["OPERATION_NOT_TRUSTED"]
    assert refused.body["errors"][0]["extensions"]["requestId"] == refused.http.headers["x-request-id"]
    assert trusted_text.body == {"data": {"createConnection": True}}
    assert len(upstream.fake.requests) == 1


async def test_log_mode_runs_other_documents_and_logs_them(
    start_api: ApiFactory, idp: RunningIdentityProvider, tmp_path: Path, logs: CapturedLogs
) -> None:
    api = await start_api(graphql=_graphql(tmp_path, "log"))

    response = await api.execute("query Who { viewer { organizationId } }", token=idp.token())

    assert response.body == {"data": {"viewer": {"organizationId": "org_test"}}}
    [logged] = logs.events("untrusted_operation")
    assert logged["document_sha256"] == _digest("query Who { viewer { organizationId } }")


def _start_with(manifest: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"WORKOS_CLIENT_ID": "client_x", "FLOW_CONNECT_API_URL": "https://flow.example"}
    return run_app_until_exit({**env, "GRAPHQL_TRUSTED_DOCUMENTS": str(manifest)}, cwd=cwd)


def test_a_manifest_entry_that_does_not_match_its_hash_stops_startup_with_one_line(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, {_digest(VIEWER): "{ viewer { organizationId } }"})

    result = _start_with(manifest, tmp_path)

    assert result.returncode == 2
    assert result.stderr == (
        f"flow-api: configuration error: GRAPHQL_TRUSTED_DOCUMENTS is invalid: entry {_digest(VIEWER)[:16]}... "
        "does not match the SHA-256 of its document\n"
    )


def test_a_trusted_document_that_does_not_fit_the_schema_stops_startup(tmp_path: Path) -> None:
    wrong = "{ viewer { noSuchField } }"
    manifest = _manifest(tmp_path, {_digest(wrong): wrong})

    result = _start_with(manifest, tmp_path)

    assert result.returncode == 2
    expected = f"flow-api: configuration error: GRAPHQL_TRUSTED_DOCUMENTS entry {_digest(wrong)[:16]}"
    assert result.stderr.startswith(expected)
    assert "noSuchField" in result.stderr
    assert result.stderr.count("\n") == 1
