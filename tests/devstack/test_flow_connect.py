"""The Flow Connect simulator's load-test switches: any target organization, and the count of
Idempotency-Keys it read (how `make fleet-check` proves no request reached it twice)."""

import uuid
from pathlib import Path

import httpx

from devstack.flow_connect import ConnectionStore, TokenVerifier, create_flow_connect_app
from tests.fixtures.identity import RunningIdentityProvider


def _client(store: ConnectionStore, idp: RunningIdentityProvider) -> httpx.AsyncClient:
    app = create_flow_connect_app(store=store, verifier=TokenVerifier(jwks_url=idp.jwks_url, issuer=idp.url))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://flow-connect")


async def _post(client: httpx.AsyncClient, token: str, target: str, key: str) -> int:
    response = await client.post(
        "/connections/requests",
        json={"target_org_id": target},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )
    return response.status_code


async def test_any_target_creates_a_request_to_an_unseeded_organization(
    tmp_path: Path, idp: RunningIdentityProvider
) -> None:
    token = idp.token(org_id=str(uuid.uuid4()))
    target = str(uuid.uuid4())
    seeded_only = ConnectionStore(tmp_path / "seeded.sqlite3")
    any_target = ConnectionStore(tmp_path / "any.sqlite3", any_target=True)
    try:
        async with _client(seeded_only, idp) as seeded_client, _client(any_target, idp) as any_client:
            statuses = [
                await _post(seeded_client, token, target, "k1"),
                await _post(any_client, token, target, "k2"),
                await _post(any_client, token, target, "k3"),
            ]
    finally:
        seeded_only.close()
        any_target.close()
    assert statuses == [404, 201, 409]


async def test_idempotency_keys_counts_requests_and_repeated_keys(tmp_path: Path, idp: RunningIdentityProvider) -> None:
    token = idp.token(org_id=str(uuid.uuid4()))
    store = ConnectionStore(tmp_path / "db.sqlite3", any_target=True)
    try:
        async with _client(store, idp) as client:
            for key in ("a", "b", "a"):
                await _post(client, token, str(uuid.uuid4()), key)
            counts = (await client.get("/idempotency-keys")).json()
    finally:
        store.close()
    assert counts == {"requests": 3, "keys": 2, "repeated": 1}
