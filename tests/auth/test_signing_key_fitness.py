"""The key set's own metadata counts: a key verifies our RS256 tokens only if it is an RSA public
key of at least 2048 bits, for signatures (`use`, `key_ops`) and for RS256 (`alg`). Any other key
is skipped, and said so once per key in one JSON line, never by a library in plain text."""

from typing import Any

import pytest
from jwt.algorithms import RSAAlgorithm

from app.core.config import WorkOSSettings
from devstack.identity import mint_token
from devstack.keys import SigningKey
from tests.conftest import ApiFactory, RunningUpstream
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.identity import TEST_CLIENT_ID, PublishedKeySet, mint_with_short_key, short_rsa_key
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import raw_upstream

VIEWER = "{ viewer { organizationId } }"
ISSUER = "http://issuer.test"


def _unfit(case: str) -> tuple[dict[str, Any], str]:
    """A JWK unfit in the way `case` names, and a token signed by its private key."""
    if case in ("rsa_512", "rsa_1024"):
        short = short_rsa_key(512 if case == "rsa_512" else 1024)
        return short.public_jwk(), mint_with_short_key(short, issuer=ISSUER, sub="user_1")
    key = SigningKey.generate()
    jwk = key.public_jwk()
    unfit = {
        "use_enc": {**jwk, "use": "enc"},
        "alg_rs512": {**jwk, "alg": "RS512"},
        "key_ops_without_verify": {**{k: v for k, v in jwk.items() if k != "use"}, "key_ops": ["encrypt"]},
        "private_key_published": {**RSAAlgorithm.to_jwk(key.private_key, as_dict=True), "kid": key.kid},
    }[case]
    return unfit, mint_token(key, issuer=ISSUER, sub="user_1")


UNFIT = ["rsa_512", "rsa_1024", "use_enc", "alg_rs512", "key_ops_without_verify", "private_key_published"]


async def _api(start_api: ApiFactory, jwks_url: str, *, min_refresh_interval: float) -> GraphQLClient:
    settings = WorkOSSettings(
        workos_client_id=TEST_CLIENT_ID,
        workos_jwks_url=jwks_url,
        workos_issuer=(ISSUER,),
        workos_jwks_min_refresh_interval=min_refresh_interval,
    )
    return await start_api(workos=settings)


@pytest.mark.parametrize("case", UNFIT)
async def test_an_unfit_key_verifies_nothing_and_is_logged_once(
    case: str, start_api: ApiFactory, signing_key: SigningKey, upstream: RunningUpstream, logs: CapturedLogs
) -> None:
    unfit_jwk, unfit_token = _unfit(case)
    key_set = PublishedKeySet(signing_key.public_jwk(), unfit_jwk)
    async with raw_upstream(key_set) as (_, jwks_url):
        api = await _api(start_api, jwks_url, min_refresh_interval=60)

        fit = await api.execute(VIEWER, token=mint_token(signing_key, issuer=ISSUER, sub="user_1"))
        refused = [await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=unfit_token) for _ in range(3)]

    assert fit.error_codes == []
    assert [response.error_codes for response in refused] == [["UNAUTHORIZED"]] * 3
    assert upstream.fake.requests == []
    assert key_set.fetches == 1
    skipped = logs.events("jwks_key_skipped")
    assert [(line["level"], line["kid"]) for line in skipped] == [("warning", unfit_jwk["kid"])]
    assert skipped[0]["reason"]


async def test_an_unfit_key_is_logged_once_however_often_the_set_is_fetched(
    start_api: ApiFactory, signing_key: SigningKey, logs: CapturedLogs
) -> None:
    unfit_jwk, unfit_token = _unfit("use_enc")
    key_set = PublishedKeySet(signing_key.public_jwk(), unfit_jwk)
    async with raw_upstream(key_set) as (_, jwks_url):
        api = await _api(start_api, jwks_url, min_refresh_interval=0)

        # Each token naming the unfit key's kid refreshes the set (no refresh interval here).
        refused = [await api.execute(VIEWER, token=unfit_token) for _ in range(3)]

    assert [response.error_codes for response in refused] == [["UNAUTHORIZED"]] * 3
    assert key_set.fetches > 1
    assert [line["kid"] for line in logs.events("jwks_key_skipped")] == [unfit_jwk["kid"]]


async def test_a_key_set_of_unfit_keys_only_is_no_usable_key(
    start_api: ApiFactory, upstream: RunningUpstream, logs: CapturedLogs
) -> None:
    unfit = [_unfit(case) for case in UNFIT]
    key_set = PublishedKeySet(*(jwk for jwk, _ in unfit))
    async with raw_upstream(key_set) as (_, jwks_url):
        api = await _api(start_api, jwks_url, min_refresh_interval=60)

        responses = [await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=token) for _, token in unfit]

    assert [response.error_codes for response in responses] == [["SERVICE_UNAVAILABLE"]] * len(UNFIT)
    assert upstream.fake.requests == []
    assert sorted(line["kid"] for line in logs.events("jwks_key_skipped")) == sorted(jwk["kid"] for jwk, _ in unfit)
    assert len(logs.events("jwks_refresh_failed")) == 1


async def test_a_key_without_alg_or_use_is_fit(start_api: ApiFactory, signing_key: SigningKey) -> None:
    bare = {name: value for name, value in signing_key.public_jwk().items() if name not in ("alg", "use")}
    async with raw_upstream(PublishedKeySet(bare)) as (_, jwks_url):
        api = await _api(start_api, jwks_url, min_refresh_interval=0)

        response = await api.execute(VIEWER, token=mint_token(signing_key, issuer=ISSUER, sub="user_1"))

    assert response.error_codes == []
