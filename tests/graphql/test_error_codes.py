"""A code on every error: the README's table is the contract, and the suite's errors keep to it."""

from tests.conftest import ApiFactory
from tests.fixtures.error_codes import ErrorLedger, documented_codes

# One request per kind of error that needs no upstream or token to provoke.
PROVOKED = {
    "GRAPHQL_PARSE_FAILED": {"query": "{ viewer "},
    "GRAPHQL_VALIDATION_FAILED": {"query": "{ nope }"},
    "UNAUTHORIZED": {"query": "{ viewer { flowUserId } }"},
}


async def test_parse_validation_and_auth_errors_carry_their_codes(start_api: ApiFactory) -> None:
    api = await start_api()

    for code, payload in PROVOKED.items():
        response = await api.http.post("/graphql", json=payload)
        assert [error["extensions"]["code"] for error in response.json()["errors"]] == [code]


async def test_the_ledger_sees_what_clients_read_and_every_code_is_documented(
    start_api: ApiFactory, error_ledger: ErrorLedger
) -> None:
    api = await start_api()
    before = error_ledger.responses

    await api.http.post("/graphql", json={"query": "{ nope }"})

    assert error_ledger.responses == before + 1
    assert {"GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST", "RATE_LIMITED", "INTERNAL_SERVER_ERROR"} <= documented_codes()
    assert error_ledger.uncoded(documented_codes()) == []
