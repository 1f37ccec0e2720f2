"""`python -m app` as an operator runs it: what `targetOrgId`, `Idempotency-Key` and `Origin` mean."""

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.conftest import RunningUpstream
from tests.e2e.process import api_process, app_environment
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX, GLOBEX

CREATE = "mutation Create($target: ID!) { createConnection(targetOrgId: $target) }"
APP_ORIGIN = "https://app.flow.example"


@contextlib.asynccontextmanager
async def _served(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> AsyncIterator[httpx.AsyncClient]:
    env = app_environment(idp, upstream.url, CORS_ALLOW_ORIGINS=APP_ORIGIN)
    with api_process(env, cwd=tmp_path) as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield client


def _codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


async def test_only_strict_uuid_text_reaches_flow_connect_in_lower_case(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    lenient = [
        "\uff19133da7c-3b98-4673-91dc-0dc58cc8740c",  # fullwidth digit
        "\u0669133da7c-3b98-4673-91dc-0dc58cc8740c",  # Arabic-Indic digit
        "+133da7c-3b98-4673-91dc-0dc58cc8740c",
        " 133da7c-3b98-4673-91dc-0dc58cc8740c",
        "9133da7c3-b98-4673-91dc-0dc58cc8740c",
        "{9133da7c-3b98-4673-91dc-0dc58cc8740c}",
        "urn:uuid:9133da7c-3b98-4673-91dc-0dc58cc8740c",
    ]
    headers = {"Authorization": f"Bearer {idp.token()}"}
    async with _served(tmp_path, idp, upstream) as client:
        refused = [
            await client.post("/graphql", json={"query": CREATE, "variables": {"target": t}}, headers=headers)
            for t in lenient
        ]
        upper = await client.post(
            "/graphql", json={"query": CREATE, "variables": {"target": GLOBEX.upper()}}, headers=headers
        )

    assert [_codes(response) for response in refused] == [["BAD_USER_INPUT"]] * len(lenient)
    assert upper.json() == {"data": {"createConnection": True}}
    [request] = upstream.fake.requests
    assert json.loads(request.body) == {"target_org_id": GLOBEX}


async def test_two_idempotency_key_lines_are_refused_and_nothing_is_sent(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    headers = [("Authorization", f"Bearer {idp.token()}"), ("Idempotency-Key", "one"), ("Idempotency-Key", "two")]
    async with _served(tmp_path, idp, upstream) as client:
        response = await client.post("/graphql", json={"query": CREATE_CONNECTION_TO_GLOBEX}, headers=headers)

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "header": "Idempotency-Key"}
    assert upstream.fake.requests == []


async def test_a_key_used_in_one_organization_is_a_new_key_in_another(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    async def create(client: httpx.AsyncClient, org_id: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {idp.token(org_id=org_id)}", "Idempotency-Key": "k-1"}
        return await client.post("/graphql", json={"query": CREATE_CONNECTION_TO_GLOBEX}, headers=headers)

    async with _served(tmp_path, idp, upstream) as client:
        in_a, in_b, in_a_again = [await create(client, org_id) for org_id in ("org_a", "org_b", "org_a")]

    assert [in_a.json(), in_b.json(), in_a_again.json()] == [{"data": {"createConnection": True}}] * 3
    assert [answer.headers.get("idempotent-replayed") for answer in (in_a, in_b, in_a_again)] == [None, None, "true"]
    assert len(upstream.fake.requests) == 2


async def test_a_disallowed_origin_gets_no_cors_header(
    tmp_path: Path, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    async def exchange(client: httpx.AsyncClient, origin: str) -> list[httpx.Response]:
        preflight = await client.options(
            "/graphql",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        actual = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin})
        return [preflight, actual]

    async with _served(tmp_path, idp, upstream) as client:
        allowed = await exchange(client, APP_ORIGIN)
        refused = await exchange(client, "https://evil.example")

    def cors(response: httpx.Response) -> set[str]:
        return {name for name in response.headers if name.startswith("access-control-")}

    assert [response.status_code for response in allowed + refused] == [204, 200, 400, 200]
    assert all("access-control-allow-origin" in cors(response) for response in allowed)
    assert [cors(response) for response in refused] == [set(), set()]
