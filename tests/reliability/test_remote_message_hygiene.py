"""Flow Connect's own message reaches our clients: it must arrive as one plain line of text."""

import json
import unicodedata

import pytest

from app.core.config import FlowConnectApiSettings
from tests.conftest import ApiFactory
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.raw_upstream import Behaviour, Exchange, raw_upstream

HOSTILE = "target\r\nX-Injected: yes\x1b[31m red\x00 \u202egnp.exe\u2066 \u200ftail\u2028next\tcol"


def _respond(status: int, message: str) -> Behaviour:
    async def behaviour(exchange: Exchange) -> None:
        await exchange.respond(status, json.dumps({"message": message}).encode())

    return behaviour


@pytest.mark.parametrize("status", [400, 404, 409])
async def test_control_and_bidi_characters_never_reach_the_client(
    status: int, start_api: ApiFactory, idp: RunningIdentityProvider
) -> None:
    async with raw_upstream(_respond(status, HOSTILE * 40)) as (_, url):
        api = await start_api(flow_connect=FlowConnectApiSettings(flow_connect_api_url=url))
        response = await api.execute(CREATE_CONNECTION_TO_GLOBEX, token=idp.token())

    [message] = response.error_messages
    assert message.startswith("target X-Injected: yes [31m red gnp.exe tail next col")
    assert not [c for c in message if unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]
    assert "  " not in message
    assert len(message) <= 500
