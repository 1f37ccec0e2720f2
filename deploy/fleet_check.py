"""`make fleet-check`: mutations through nginx while every replica of the fleet is restarted in
turn (deploy/fleet.py), then the proof that nothing was lost or sent twice:

- every request got exactly one typed answer: HTTP 200 with `createConnection == true` or a
  GraphQL error with an `extensions.code`; an nginx 502/503 (no replica took the request) is
  counted apart and must be 0 for the restart to be graceful;
- every Idempotency-Key reached the Flow Connect simulator exactly once, one per `true`;
- nginx tried another replica only for requests it could not connect with: its access log lists
  several upstream addresses only where the error log has a failed connect.

Each mutation targets a new organization (the simulator runs with `--any-target`), so each
should be created: `true`. One in ten is sent again with its `Idempotency-Key`, as a client
whose answer was lost would; that retry may reach any replica and must be answered from the
shared store (`Idempotent-Replayed: true`) without a second request to Flow Connect.

A real Prometheus scrapes every replica throughout with the shipped rules, their durations
divided by deploy/monitoring.py's TIME_SCALE: no alert may fire through the restarts. Then
Flow Connect is stopped and started again (deploy/outage.py): the breakers open on every
replica, callers get SERVICE_UNAVAILABLE at once, FlowApiFlowConnectFailing goes pending within
its `for:` and fires, and once Flow Connect is back the breakers close and the alert resolves;
still nothing lost or sent twice.
"""

import argparse
import asyncio
import contextlib
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.fleet import Fleet, running_fleet
from deploy.monitoring import Prometheus, running_prometheus
from deploy.outage import report_outage, run_outage
from deploy.stack import Upstream
from deploy.traffic import Answers, counted, from_gateway, load, typed
from devstack.serving import free_port

ALERT_POLL_SECONDS = 0.5


async def watch_alerts(prometheus: Prometheus, seen: dict[str, set[str]]) -> None:
    """Every alert and state Prometheus shows, until cancelled."""
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        while True:
            for alert, state in (await prometheus.alerts(client)).items():
                seen.setdefault(alert, set()).add(state)
            await asyncio.sleep(ALERT_POLL_SECONDS)


@dataclass(frozen=True)
class NginxLogs:
    requests: int
    retried: int  # tried on a second replica
    failed_connects: int
    failed_after_sending: int  # answered 502, never retried


def read_nginx_logs(fleet: Fleet) -> NginxLogs:
    lines = fleet.access_log.read_text().splitlines()
    errors = fleet.error_log.read_text()
    return NginxLogs(
        requests=len(lines),
        retried=sum(1 for line in lines if "," in line.split('"')[1]),
        failed_connects=len(re.findall(r"\) while connecting to upstream", errors)),
        failed_after_sending=len(
            re.findall(r"while (reading response header from|sending request to) upstream", errors)
        ),
    )


async def run(size: int, total: int, *, drain: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="flow-api-fleet-check-") as directory:
        workdir = Path(directory)
        started = time.monotonic()
        async with (
            running_fleet(
                size=size,
                port=free_port(),
                workdir=workdir,
                extra_environment={
                    "LOG_LEVEL": "WARNING",  # no line per request: the CPU goes to requests
                    # One caller sends everything here; the limits are checked by tests, not by load.
                    "RATE_LIMIT_CREATE_CONNECTION_PER_USER": "1000000/hour",
                    "RATE_LIMIT_CREATE_CONNECTION_PER_ORG": "1000000/hour",
                },
                any_target=True,
            ) as (fleet, neighbours),
            running_prometheus(workdir, [r.address for r in fleet.replicas]) as prometheus,
        ):
            fleet.drain = drain
            ready = time.monotonic()
            alerts: dict[str, set[str]] = {}
            watching = asyncio.create_task(watch_alerts(prometheus, alerts))
            restarting = asyncio.create_task(fleet.rolling_restart())
            answers = await load(fleet, neighbours.token(), total=total, done=restarting.done)
            await restarting
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            loaded = time.monotonic()
            upstream = await neighbours.flow_connect.upstream()
            nginx = read_nginx_logs(fleet)
            outage = await run_outage(fleet, neighbours, prometheus)
        restarts = report(
            size=size,
            answers=answers,
            fleet=fleet,
            upstream=upstream,
            nginx=nginx,
            seconds=(ready - started, loaded - ready),
            alerts=alerts,
        )
        return max(restarts, report_outage(outage, before=upstream, answers_before=answers))


def report(
    *,
    size: int,
    answers: Answers,
    fleet: Fleet,
    upstream: Upstream,
    nginx: NginxLogs,
    seconds: tuple[float, float],
    alerts: dict[str, set[str]],
) -> int:
    """The rolling restarts' figures and checks."""
    counts = counted(answers)
    requests = counts.total()
    retries = counts["true, replayed"] + counts["IDEMPOTENCY_KEY_IN_USE"]
    print(f"fleet-check: {size} replicas up in {seconds[0]:.1f}s; {requests} mutations in {seconds[1]:.1f}s")
    print(f"  restarts: {fleet.restarts} (exit codes {fleet.exit_codes})")
    print(f"  answers:  {json.dumps(dict(counts.most_common()))}")
    print(
        f"  nginx:    {nginx.requests} requests logged, {nginx.retried} tried on a second replica, "
        f"{nginx.failed_connects} failed connects, {nginx.failed_after_sending} failed after sending (not retried)"
    )
    print(f"  Flow Connect: {upstream.requests} requests, {upstream.repeated} Idempotency-Keys sent more than once")
    print(f"  alerts:   {_states(alerts) or 'none'} (Prometheus, every {ALERT_POLL_SECONDS}s)")
    checks = {
        f"every replica restarted and exited 0 ({fleet.restarts} of {size})": fleet.restarts == size
        and fleet.exit_codes == [0] * size,
        "every request got one typed answer": typed(counts) == requests,
        "no 502/503/504 from nginx": from_gateway(counts) == 0,
        "no Idempotency-Key sent twice (duplicate POSTs: 0)": upstream.repeated == 0,
        "Flow Connect got one request per true": upstream.requests == counts["true"],
        "every retry answered from the shared store (true, replayed)": counts["true, replayed"] == retries,
        "nginx logged every request": nginx.requests == requests,
        "a second replica only after a failed connect": nginx.retried <= nginx.failed_connects,
        "no alert fired through the restarts": not any("firing" in states for states in alerts.values()),
    }
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def _states(alerts: dict[str, set[str]]) -> str:
    return ", ".join(f"{alert} ({'/'.join(sorted(states))})" for alert, states in sorted(alerts.items()))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.fleet_check", description=__doc__)
    parser.add_argument("--size", type=int, default=3, help="replicas (default 3)")
    parser.add_argument("--requests", type=int, default=3000, help="at least this many mutations (default 3000)")
    parser.add_argument(
        "--no-drain", dest="drain", action="store_false", help="SIGTERM replicas without taking them out of nginx first"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.size, args.requests, drain=args.drain))


if __name__ == "__main__":
    sys.exit(main())
