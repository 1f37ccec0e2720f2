"""`python -m app` as an operator runs it, over real sockets: a token for another audience and a
token signed by an unfit key are refused, and its output stays JSON lines, a library's included."""

from pathlib import Path

import httpx

from devstack.identity import mint_token
from devstack.keys import SigningKey
from tests.conftest import RunningUpstream
from tests.e2e.process import api_process
from tests.fixtures.identity import TEST_CLIENT_ID, PublishedKeySet, mint_with_short_key, short_rsa_key
from tests.fixtures.logs import json_lines
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import raw_upstream

ISSUER = "http://issuer.test"
OURS = "https://api.flow.test"


async def test_foreign_audiences_and_unfit_keys_are_refused_and_logged_as_json_only(
    signing_key: SigningKey, upstream: RunningUpstream, tmp_path: Path
) -> None:
    short = short_rsa_key(1024)
    key_set = PublishedKeySet(signing_key.public_jwk(), short.public_jwk())
    tokens = {
        "session_no_aud": mint_token(signing_key, issuer=ISSUER, sub="user_1"),
        "ours_among_others": mint_token(
            signing_key, issuer=ISSUER, sub="user_1", extra_claims={"aud": ["https://other.test", OURS]}
        ),
        "another_api": mint_token(signing_key, issuer=ISSUER, sub="user_1", extra_claims={"aud": "https://other.test"}),
        "short_key": mint_with_short_key(short, issuer=ISSUER, sub="user_1"),
        "short_key_again": mint_with_short_key(short, issuer=ISSUER, sub="user_2"),
    }
    log = tmp_path / "api.log"
    async with raw_upstream(key_set) as (_, jwks_url):
        env = {
            "WORKOS_CLIENT_ID": TEST_CLIENT_ID,
            "WORKOS_JWKS_URL": jwks_url,
            "WORKOS_ISSUER": ISSUER,
            "WORKOS_AUDIENCE": f"urn:flow:api, {OURS}",
            "WORKOS_JWKS_MIN_REFRESH_INTERVAL": "60",
            "FLOW_CONNECT_API_URL": upstream.url,
        }
        with api_process(env, cwd=tmp_path, log=log) as (url, _):
            async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
                codes = {}
                for case, token in tokens.items():
                    response = await client.post(
                        "/graphql",
                        json={"query": CREATE_CONNECTION_TO_GLOBEX},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    codes[case] = [error["extensions"]["code"] for error in response.json().get("errors", [])]

    assert codes == {
        "session_no_aud": [],
        "ours_among_others": [],
        "another_api": ["UNAUTHORIZED"],
        "short_key": ["UNAUTHORIZED"],
        "short_key_again": ["UNAUTHORIZED"],
    }
    assert len(upstream.fake.requests) == 2, "only the two accepted tokens reached Flow Connect"
    output = log.read_text()
    assert [line for line in output.splitlines() if not line.startswith("{")] == [], "every line is JSON"
    skipped = [line for line in json_lines(output) if line["event"] == "jwks_key_skipped"]
    assert [(line["level"], line["kid"]) for line in skipped] == [("warning", short.kid)]
    assert "1024" in skipped[0]["reason"]
    assert key_set.fetches == 1
    assert all(token not in output for token in tokens.values())
