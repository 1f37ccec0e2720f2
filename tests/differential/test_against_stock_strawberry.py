"""Our app and stock Strawberry (the same resolvers and DI in a plain `strawberry.Schema` behind
Strawberry's own ASGI view) answer every request of the corpus alike, but for the differences
we mean, each a named rule (rules.py, listed in docs/departures.md). A Strawberry upgrade: bump,
run this."""

import contextlib
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette

from app.core.config import FlowConnectApiSettings, SharedStateSettings, WorkOSSettings
from app.main import create_app
from tests.conftest import RunningUpstream
from tests.differential.answers import Answer
from tests.differential.corpus import FROM_THE_SUITE, VALID_TOKEN, Call, generated
from tests.differential.rules import RULES, as_meant
from tests.differential.stock_app import create_stock_app
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.settings import settings_for_test

DEPARTURES = Path(__file__).resolve().parents[2] / "docs" / "departures.md"
GENERATED = 260


async def _send(client: httpx.AsyncClient, call: Call, token: str) -> Answer:
    headers = {name: value.replace(VALID_TOKEN, token) for name, value in call.headers.items()}
    response = await client.request(call.method, "/graphql", params=call.params, headers=headers, content=call.body)
    return Answer.of(response)


@contextlib.asynccontextmanager
async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    # Strawberry's app answers what it cannot decode with a 500, raised through its middleware.
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_our_answers_differ_from_stock_strawberrys_only_as_the_rules_say(
    workos_settings: WorkOSSettings,
    flow_connect_settings: FlowConnectApiSettings,
    idp: RunningIdentityProvider,
    upstream: RunningUpstream,
) -> None:
    unlimited = "1000000/second"  # both apps get every mutation through
    limits = SharedStateSettings(
        rate_limit_create_connection_per_user=unlimited, rate_limit_create_connection_per_org=unlimited
    )
    settings = settings_for_test(app_env="production", given=[workos_settings, flow_connect_settings, limits])
    corpus = FROM_THE_SUITE + generated(GENERATED)
    token = idp.token()

    unmeant: list[str] = []
    used: Counter[str] = Counter()
    async with _client(create_app(settings)) as ours, _client(create_stock_app(settings)) as stock:
        for call in corpus:
            our_answer, stock_answer = await _send(ours, call, token), await _send(stock, call, token)
            meant, applied = as_meant(call, our_answer, stock_answer)
            used.update(applied)
            if our_answer != meant:
                unmeant.append(f"{call}\n  ours:  {our_answer}\n  stock: {stock_answer}\n  rules: {applied}")

    assert len(corpus) >= 300
    assert upstream.fake.requests, "no mutation reached Flow Connect"
    assert not unmeant, f"{len(unmeant)} differences no rule explains:\n" + "\n".join(unmeant[:10])
    assert set(used) == {rule.name for rule in RULES}, f"rules no request needed: {set(used) ^ {r.name for r in RULES}}"


def test_every_rule_is_listed_once_in_docs_departures() -> None:
    section = DEPARTURES.read_text().split("## Differences from stock Strawberry we mean", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    assert sorted(listed) == sorted(rule.name for rule in RULES)
