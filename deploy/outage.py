"""`make fleet-check`'s outage: Flow Connect stopped while callers keep sending mutations, then
started again, with a real Prometheus evaluating the shipped rules (deploy/monitoring.py).

Each step is timed from the moment Flow Connect stopped (then from the moment it answered
again): every replica's breaker seen open in its own /metrics, FlowApiFlowConnectFailing pending
and firing, every breaker closed, the alert resolved. The simulator's counts die with its
process, so the callers start once it is stopped, and the counts of the one started after are
added to those read before.

The callers behave as clients should: one request in ten is sent twice with its Idempotency-Key,
and a request answered SERVICE_UNAVAILABLE is sent again with its key after its `retryAfter`.
No such retry may find its key in use (the refused request held no lock) or reused, and none may
reach Flow Connect twice.
"""

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from deploy.fleet import Fleet
from deploy.monitoring import Prometheus, scaled_for_seconds
from deploy.stack import Neighbours, Upstream
from deploy.traffic import Answers, counted, from_gateway, load, typed

ALERT = "FlowApiFlowConnectFailing"
BREAKER_STATE = "flow_api_flow_connect_breaker_state"
OPEN, CLOSED = 2.0, 0.0
CONCURRENCY = 8
POLL_SECONDS = 0.1
STEP_SECONDS = 60.0  # a deadline for each step; a step not reached is reported as such


@dataclass
class Snapshot:
    breakers: list[float]  # each replica's state, in the fleet's order
    alerts: dict[str, str]


@dataclass
class Outage:
    answers: Answers = field(default_factory=dict)
    upstream: Upstream = field(default_factory=lambda: Upstream(requests=0, repeated=0))  # the restarted simulator's
    # Seconds from Flow Connect stopping (or, for the recovery, answering again); None if never.
    steps: dict[str, float | None] = field(default_factory=dict)
    alerts_seen: dict[str, set[str]] = field(default_factory=dict)


async def breaker_state(client: httpx.AsyncClient, address: str) -> float:
    text = (await client.get(f"http://{address}/metrics")).text
    for family in text_string_to_metric_families(text):
        if family.name == BREAKER_STATE:
            return float(family.samples[0].value)
    raise RuntimeError(f"{address}/metrics has no {BREAKER_STATE}")


async def snapshot(client: httpx.AsyncClient, fleet: Fleet, prometheus: Prometheus) -> Snapshot:
    breakers = await asyncio.gather(*(breaker_state(client, replica.address) for replica in fleet.replicas))
    return Snapshot(breakers=list(breakers), alerts=await prometheus.alerts(client))


async def run_outage(fleet: Fleet, neighbours: Neighbours, prometheus: Prometheus) -> Outage:
    outage = Outage()
    stop_callers = asyncio.Event()
    ever_open = [False] * len(fleet.replicas)

    async def until(name: str, since: float, reached: Callable[[Snapshot], bool]) -> None:
        deadline = since + STEP_SECONDS
        while time.monotonic() < deadline:
            now = await snapshot(client, fleet, prometheus)
            for alert, state in now.alerts.items():
                outage.alerts_seen.setdefault(alert, set()).add(state)
            for index, breaker in enumerate(now.breakers):
                ever_open[index] |= breaker == OPEN
            if ALERT in now.alerts:
                outage.steps.setdefault("alert pending", time.monotonic() - since)
            if reached(now):
                outage.steps[name] = time.monotonic() - since
                return
            await asyncio.sleep(POLL_SECONDS)
        outage.steps[name] = None

    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        await neighbours.flow_connect.stop()
        stopped = time.monotonic()
        token = neighbours.token()
        callers = asyncio.create_task(
            load(fleet, token, total=0, done=stop_callers.is_set, concurrency=CONCURRENCY, retry_unavailable=True)
        )
        try:
            await until("breakers open on every replica", stopped, lambda _: all(ever_open))
            await until("alert firing", stopped, lambda now: now.alerts.get(ALERT) == "firing")
            await neighbours.flow_connect.start()
            back = time.monotonic()
            await until("breakers closed on every replica", back, lambda now: all(s == CLOSED for s in now.breakers))
            await until("alert resolved", back, lambda now: ALERT not in now.alerts)
        finally:
            stop_callers.set()
            outage.answers = await callers
    outage.upstream = await neighbours.flow_connect.upstream()
    return outage


def milliseconds(waits: list[float]) -> str:
    """Median, 99th percentile and slowest of `waits`, in milliseconds."""
    if len(waits) < 2:  # noqa: PLR2004 - quantiles need two
        return "too few to say"
    p99 = statistics.quantiles(waits, n=100, method="inclusive")[98]  # never past the slowest
    return f"median {statistics.median(waits) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms"


def report_outage(outage: Outage, *, before: Upstream, answers_before: Answers) -> int:
    """The outage's figures and checks; `before` and `answers_before` are the restarts'."""
    counts = counted(outage.answers)
    requests = counts.total()
    within = scaled_for_seconds(ALERT)
    steps = outage.steps
    print(f"fleet-check: Flow Connect stopped under {requests} mutations at concurrency {CONCURRENCY}, then restarted")
    print(f"  answers:  {json.dumps(dict(counts.most_common()))}")
    # Beside `true`'s, for scale: both go through nginx on a machine that runs everything.
    print(f"  SERVICE_UNAVAILABLE answered in {milliseconds(outage.answers.get('SERVICE_UNAVAILABLE', []))}")
    print(f"  true answered in                {milliseconds(outage.answers.get('true', []))}")
    for name in ("breakers open on every replica", "alert pending", "alert firing"):
        print(f"  {name + ':':34} {_seconds(steps.get(name))} after Flow Connect stopped")
    for name in ("breakers closed on every replica", "alert resolved"):
        print(f"  {name + ':':34} {_seconds(steps.get(name))} after Flow Connect answered again")
    seen = ", ".join(f"{alert} ({'/'.join(sorted(states))})" for alert, states in sorted(outage.alerts_seen.items()))
    print(f"  alerts seen: {seen or 'none'}")
    print(
        f"  Flow Connect after the restart: {outage.upstream.requests} requests, "
        f"{outage.upstream.repeated} Idempotency-Keys sent more than once"
    )
    trues = counted(answers_before)["true"] + counts["true"]
    pending = steps.get("alert pending")
    checks = {
        "every outage request got one typed answer": typed(counts) == requests,
        "no 502/503/504 from nginx during the outage": from_gateway(counts) == 0,
        "callers got SERVICE_UNAVAILABLE from the open breakers": counts["SERVICE_UNAVAILABLE"] > 0,
        "every replica's breaker opened": steps.get("breakers open on every replica") is not None,
        f"{ALERT} pending within its for: ({within:.0f}s)": pending is not None and pending <= within,
        f"{ALERT} fired": steps.get("alert firing") is not None,
        "every breaker closed once Flow Connect was back": steps.get("breakers closed on every replica") is not None,
        f"{ALERT} resolved": steps.get("alert resolved") is not None,
        "no retry found its Idempotency-Key in use or reused": counts["IDEMPOTENCY_KEY_IN_USE"]
        + counts["IDEMPOTENCY_KEY_REUSED"]
        == 0,
        "no Idempotency-Key sent twice, before or after the outage": before.repeated == outage.upstream.repeated == 0,
        "Flow Connect got one request per true, over both runs": before.requests + outage.upstream.requests == trues,
    }
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}s"
