"""With WEB_CONCURRENCY=2, whichever worker answers a scrape reports the sum of both."""

import asyncio
from pathlib import Path

import httpx

from tests.conftest import RunningUpstream
from tests.e2e.process import api_process, app_environment
from tests.fixtures.identity import RunningIdentityProvider
from tests.fixtures.logs import json_lines
from tests.fixtures.metrics import scrape
from tests.fixtures.operations import CREATE_CONNECTION_TO_GLOBEX
from tests.fixtures.tls import CLIENT_TLS

MUTATIONS = 30


async def test_two_workers_report_every_mutation(
    idp: RunningIdentityProvider, upstream: RunningUpstream, tmp_path: Path
) -> None:
    env = app_environment(idp, upstream.url, WEB_CONCURRENCY="2", RATE_LIMIT_CREATE_CONNECTION_PER_USER="1000/minute")
    log = tmp_path / "api.log"
    with api_process(env, cwd=tmp_path, log=log) as (url, _):
        headers = {"Authorization": f"Bearer {idp.token()}"}

        async def mutate() -> None:
            # A connection per call, so the kernel spreads them over both workers.
            async with httpx.AsyncClient(base_url=url, timeout=10, verify=CLIENT_TLS) as client:
                response = await client.post("/graphql", json={"query": CREATE_CONNECTION_TO_GLOBEX}, headers=headers)
                assert response.json() == {"data": {"createConnection": True}}

        await asyncio.gather(*(mutate() for _ in range(MUTATIONS)))
        totals = []
        for _ in range(4):
            async with httpx.AsyncClient(base_url=url, verify=CLIENT_TLS) as client:
                samples = await scrape(client)
            totals.append(
                sum(
                    value
                    for (name, labels), value in samples.items()
                    if name == "flow_api_graphql_requests_total" and ("operation_type", "mutation") in labels
                )
            )

    assert totals == [MUTATIONS] * 4
    assert len(upstream.fake.requests) == MUTATIONS
    # Without REDIS_URL each worker keeps its own keys and limits: the operator is told once.
    assert [line["event"] for line in json_lines(log.read_text())].count("shared_state_per_worker") == 1
