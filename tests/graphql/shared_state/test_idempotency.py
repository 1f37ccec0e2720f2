"""Idempotency keys, through the real schema over real HTTP, with either store."""

import asyncio

import pytest

from tests.conftest import RunningUpstream
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX, GLOBEX
from tests.graphql.shared_state.conftest import StoreApi

OTHER_ORG = "0b5f1c7e-1f7a-4c47-9d3e-6b1c1f0a2b3c"


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_a_retry_with_the_same_key_is_replayed_without_calling_flow_connect(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    token = idp.token()

    first = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers=_key("retry-1"))
    again = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token, headers=_key("retry-1"))

    assert first.body == again.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in first.http.headers
    assert again.http.headers["idempotent-replayed"] == "true"
    assert len(upstream.fake.requests) == 1


async def test_a_definitive_error_is_replayed_too(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    upstream.fake.respond(409, b'{"message": "Connection already requested."}', {"content-type": "application/json"})
    api = await start_store_api()

    first = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("conflict-1"))
    again = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("conflict-1"))

    assert first.error_codes == again.error_codes == ["CONFLICT"]
    assert again.body["errors"][0]["message"] == "Connection already requested."
    assert again.http.headers["idempotent-replayed"] == "true"
    assert len(upstream.fake.requests) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_an_unknown_outcome_is_not_stored_and_the_retry_reuses_the_upstream_key(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream, status: int
) -> None:
    api = await start_store_api()
    upstream.fake.respond(status, b"{}")
    failed = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("flaky-1"))
    upstream.fake.respond(201, b"{}")

    retried = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("flaky-1"))

    assert failed.error_codes == ["REMOTE_API_ERROR"]
    assert retried.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in retried.http.headers
    first_key, second_key = (request.headers["idempotency-key"] for request in upstream.fake.requests)
    assert first_key == second_key


async def test_without_a_client_key_every_call_has_a_fresh_upstream_key(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()

    for _ in range(2):
        await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    first_key, second_key = (request.headers["idempotency-key"] for request in upstream.fake.requests)
    assert first_key != second_key


async def test_the_same_key_for_another_request_is_refused_and_nothing_is_sent(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("reused-1"))

    other = f'mutation {{ createConnection(targetOrgId: "{OTHER_ORG}") }}'
    response = await api.execute(other, token=idp.token(), headers=_key("reused-1"))

    assert response.error_codes == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(upstream.fake.requests) == 1


async def test_the_fingerprint_ignores_layout_and_includes_variables(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    mutation = "mutation Connect($target: ID!) { createConnection(targetOrgId: $target) }"
    relaid = "mutation Connect($target: ID!) {\n  createConnection(targetOrgId: $target)  # the same\n}"

    first = await api.execute(mutation, token=idp.token(), variables={"target": GLOBEX}, headers=_key("vars-1"))
    relaid_again = await api.execute(relaid, token=idp.token(), variables={"target": GLOBEX}, headers=_key("vars-1"))
    other_target = await api.execute(
        mutation, token=idp.token(), variables={"target": OTHER_ORG}, headers=_key("vars-1")
    )

    assert first.body == relaid_again.body == {"data": {"createConnection": True}}
    assert relaid_again.http.headers["idempotent-replayed"] == "true"
    assert other_target.error_codes == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(upstream.fake.requests) == 1


async def test_a_key_still_in_flight_is_in_use_and_nothing_more_is_sent(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()
    upstream.fake.delay = 0.5

    first = asyncio.create_task(api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("busy-1")))
    await upstream.fake.received.wait()  # the first request has reached Flow Connect
    second = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(), headers=_key("busy-1"))

    assert second.error_codes == ["IDEMPOTENCY_KEY_IN_USE"]
    assert (await first).body == {"data": {"createConnection": True}}
    assert len(upstream.fake.requests) == 1


async def test_keys_are_scoped_to_the_caller(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()

    alice = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(sub="alice"), headers=_key("same-key"))
    bob = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(sub="bob"), headers=_key("same-key"))

    assert alice.body == bob.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in bob.http.headers
    assert len(upstream.fake.requests) == 2
    alice_key, bob_key = (request.headers["idempotency-key"] for request in upstream.fake.requests)
    assert alice_key != bob_key


async def test_keys_are_scoped_to_the_organization_the_caller_acts_in(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream
) -> None:
    api = await start_store_api()

    in_a = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(org_id="org_a"), headers=_key("org-key"))
    in_b = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token(org_id="org_b"), headers=_key("org-key"))
    in_a_again = await api.execute(
        CREATE_CONNECTION_TO_GLOBEX, token=idp.token(org_id="org_a"), headers=_key("org-key")
    )

    assert in_a.body == in_b.body == in_a_again.body == {"data": {"createConnection": True}}
    assert "idempotent-replayed" not in in_b.http.headers
    assert in_a_again.http.headers["idempotent-replayed"] == "true"
    a_key, b_key = (request.headers["idempotency-key"] for request in upstream.fake.requests)
    assert a_key != b_key


@pytest.mark.parametrize("values", [("one", "two"), ("same", "same")], ids=["different", "equal"])
async def test_a_repeated_key_header_is_bad_user_input_and_nothing_is_sent(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream, values: tuple[str, str]
) -> None:
    api = await start_store_api()
    keys = [(b"Idempotency-Key", value.encode()) for value in values]

    response = await api.http.post(
        "/graphql",
        json={"query": CREATE_CONNECTION_TO_GLOBEX},
        headers=[(b"Authorization", f"Bearer {idp.token()}".encode()), *keys],
    )

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "header": "Idempotency-Key"}
    assert error["message"] == "Send the Idempotency-Key header once."
    assert upstream.fake.requests == []


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there"], ids=["empty", "256 chars", "non-ascii", "tab"]
)
async def test_a_malformed_key_is_bad_user_input_and_nothing_is_sent(
    start_store_api: StoreApi, idp: RunningIdentityProvider, upstream: RunningUpstream, key: str
) -> None:
    api = await start_store_api()

    response = await api.http.post(
        "/graphql",
        json={"query": CREATE_CONNECTION_TO_GLOBEX},
        headers=[(b"Authorization", f"Bearer {idp.token()}".encode()), (b"Idempotency-Key", key.encode())],
    )

    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "header": "Idempotency-Key"}
    assert upstream.fake.requests == []


async def test_queries_ignore_the_key(start_store_api: StoreApi, idp: RunningIdentityProvider) -> None:
    api = await start_store_api()

    for _ in range(2):
        response = await api.execute("{ viewer { flowUserId } }", token=idp.token(), headers=_key("query-1"))
        assert "idempotent-replayed" not in response.http.headers
        assert response.data is not None
