"""Token verification through the real schema over real HTTP, against a JWKS served on loopback."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from app.auth import JwksKeyStore, WorkOSService
from app.core.config import WorkOSSettings
from devstack.identity import mint_token
from devstack.keys import SigningKey
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import TEST_CLIENT_ID, RunningIdentityProvider
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX

VIEWER = "{ viewer { flowUserId organizationId } }"


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_parts(header: dict[str, object], claims: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _valid_claims(idp: RunningIdentityProvider) -> dict[str, object]:
    now = int(time.time())
    return {"iss": idp.url, "sub": "user_forged", "iat": now, "exp": now + 600}


async def test_valid_token_without_external_id_derives_flow_user_id_from_sub(
    api: GraphQLClient, idp: RunningIdentityProvider
) -> None:
    token = idp.token(sub="user_01HXYZ", org_id="org_01ACME")

    response = await api.execute(VIEWER, token=token)

    # uuid5(NAMESPACE_URL, "user_01HXYZ"), worked out once from SHA-1 by hand: it must never
    # drift, or every existing user would get a new identity.
    assert response.data == {
        "viewer": {"flowUserId": "12c9c7ea-be90-5bd4-bd00-c0a4ea32d0c8", "organizationId": "org_01ACME"}
    }
    assert response.data["viewer"]["flowUserId"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "user_01HXYZ"))


async def test_external_id_claim_is_the_flow_user_id(api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    external_id = "3f2b8c1e-7d4a-4e6b-9a0c-1b2c3d4e5f60"
    token = idp.token(extra_claims={"external_id": external_id})

    response = await api.execute(VIEWER, token=token)

    assert response.data == {"viewer": {"flowUserId": external_id, "organizationId": "org_test"}}


async def test_token_without_org_id_has_null_organization(api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    response = await api.execute(VIEWER, token=idp.token(org_id=None))

    assert response.data["viewer"]["organizationId"] is None


async def test_typename_needs_no_token(api: GraphQLClient) -> None:
    response = await api.execute("{ __typename }")

    assert response.body == {"data": {"__typename": "Query"}}


def _hostile_tokens(idp: RunningIdentityProvider, other_key: SigningKey) -> dict[str, str]:
    key = idp.provider.keys[0]
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs256_input = _unsigned_parts({"alg": "HS256", "typ": "JWT", "kid": key.kid}, _valid_claims(idp))
    hs256_signature = _b64(hmac.new(public_pem, hs256_input.encode(), hashlib.sha256).digest())
    valid = idp.token()
    return {
        "non_uuid_external_id": idp.token(extra_claims={"external_id": "not-a-uuid"}),
        "expired": idp.token(ttl_seconds=-120),
        "not_yet_valid": idp.token(extra_claims={"nbf": int(time.time()) + 600}),
        "wrong_issuer": mint_token(key, issuer="https://evil.example", sub="user_1"),
        "bad_signature": mint_token(
            SigningKey(private_key=other_key.private_key, kid=key.kid), issuer=idp.url, sub="user_1"
        ),
        "alg_none": _unsigned_parts({"alg": "none", "typ": "JWT", "kid": key.kid}, _valid_claims(idp)) + ".",
        "hs256_keyed_with_public_key": f"{hs256_input}.{hs256_signature}",
        "missing_sub": idp.token(omit=["sub"]),
        "missing_exp": idp.token(omit=["exp"]),
        "unknown_kid": mint_token(other_key, issuer=idp.url, sub="user_1"),
        "truncated": valid[: len(valid) // 2],
        "garbage_64_kib": "x" * 65536,
        "three_dots": "..",
    }


@pytest.mark.parametrize(
    "case",
    [
        "non_uuid_external_id",
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "bad_signature",
        "alg_none",
        "hs256_keyed_with_public_key",
        "missing_sub",
        "missing_exp",
        "unknown_kid",
        "truncated",
        "garbage_64_kib",
        "three_dots",
    ],
)
async def test_invalid_token_is_unauthorized_never_forwarded_and_never_logged(
    case: str,
    api: GraphQLClient,
    idp: RunningIdentityProvider,
    upstream: RunningUpstream,
    other_key: SigningKey,
    caplog: pytest.LogCaptureFixture,
    logs: CapturedLogs,
) -> None:
    token = _hostile_tokens(idp, other_key)[case]
    caplog.set_level("DEBUG")

    response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token)

    assert response.error_codes == ["UNAUTHORIZED"]
    assert response.data is None
    assert upstream.fake.requests == []
    assert token not in logs.text


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Authentication required: send a valid bearer token."),
        ("Basic dXNlcjpwYXNz", "Unsupported authorization scheme; use `Bearer <token>`."),
        ("Token abc.def.ghi", "Unsupported authorization scheme; use `Bearer <token>`."),
        ("Bearer", "Bearer token is empty."),
    ],
)
async def test_missing_or_non_bearer_header_is_unauthorized(
    api: GraphQLClient, upstream: RunningUpstream, authorization: str | None, message: str
) -> None:
    response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, authorization=authorization)

    assert response.error_codes == ["UNAUTHORIZED"]
    assert response.error_messages == [message]
    assert upstream.fake.requests == []


async def test_valid_token_is_never_logged(
    api: GraphQLClient, idp: RunningIdentityProvider, caplog: pytest.LogCaptureFixture, logs: CapturedLogs
) -> None:
    token = idp.token()
    caplog.set_level("DEBUG")

    response = await api.execute(VIEWER, token=token)

    assert response.error_codes == []
    assert logs.lines(), "the request should have logged something to check"
    assert token not in logs.text


async def test_concurrent_first_callers_share_one_jwks_fetch(
    start_api: ApiFactory, workos_settings: WorkOSSettings, idp: RunningIdentityProvider
) -> None:
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_min_refresh_interval": 60}))

    responses = await asyncio.gather(*(api.execute(VIEWER, token=idp.token()) for _ in range(10)))

    assert [r.error_codes for r in responses] == [[]] * 10
    assert idp.provider.jwks_requests == 1


async def test_unknown_kid_triggers_exactly_one_jwks_refresh(api: GraphQLClient, idp: RunningIdentityProvider) -> None:
    assert (await api.execute(VIEWER, token=idp.token())).error_codes == []
    assert idp.provider.jwks_requests == 1
    rotated = SigningKey.generate()
    idp.provider.keys.append(rotated)

    response = await api.execute(VIEWER, token=mint_token(rotated, issuer=idp.url, sub="user_rotated"))

    assert response.error_codes == []
    assert idp.provider.jwks_requests == 2
    assert (await api.execute(VIEWER, token=idp.token())).error_codes == []
    assert idp.provider.jwks_requests == 2, "known keys must come from the cache"


async def test_unknown_kids_cannot_make_the_service_hammer_the_jwks_endpoint(
    start_api: ApiFactory, workos_settings: WorkOSSettings, idp: RunningIdentityProvider
) -> None:
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_min_refresh_interval": 60}))
    assert (await api.execute(VIEWER, token=idp.token())).error_codes == []

    strange_key = SigningKey.generate()
    for attempt in range(20):
        stranger = mint_token(
            SigningKey(strange_key.private_key, kid=f"unknown-{attempt}"), issuer=idp.url, sub="user_x"
        )
        assert (await api.execute(VIEWER, token=stranger)).error_codes == ["UNAUTHORIZED"]

    assert idp.provider.jwks_requests == 1


async def test_unreachable_jwks_without_cached_keys_is_service_unavailable(
    start_api: ApiFactory, workos_settings: WorkOSSettings, idp: RunningIdentityProvider
) -> None:
    closed_port_url = "http://127.0.0.1:9/sso/jwks/" + TEST_CLIENT_ID
    api = await start_api(workos=workos_settings.model_copy(update={"workos_jwks_url": closed_port_url}))

    response = await api.execute(VIEWER, token=idp.token())

    assert response.error_codes == ["SERVICE_UNAVAILABLE"]
    assert response.error_messages == [
        "Cannot verify tokens right now: the identity provider's signing keys are unavailable."
    ]


async def test_verified_tokens_are_remembered_until_they_expire(
    idp: RunningIdentityProvider, workos_settings: WorkOSSettings
) -> None:
    # A fractional `exp` (a NumericDate may have one) 1.5 s away, not a whole-second TTL from the
    # current whole second; past `exp` the token is still accepted, within the clock-skew leeway.
    expires = time.time() + 1.5
    token = idp.token(extra_claims={"exp": expires})
    async with httpx.AsyncClient() as http:
        key_store = JwksKeyStore(http=http, url=idp.jwks_url, min_refresh_interval=0, max_age=3600, fetch_timeout=5)
        service = WorkOSService(settings=workos_settings, key_store=key_store)

        first = await service.authenticate(f"Bearer {token}")
        again = await service.authenticate(f"Bearer {token}")
        await asyncio.sleep(expires - time.time() + 0.1)
        after_expiry = await service.authenticate(f"Bearer {token}")

    assert again is first, "served from the cache"
    assert after_expiry is not first, "past `exp` the cache forgets it and verifies again"
    assert after_expiry == first
