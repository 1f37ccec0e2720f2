"""A real Prometheus for `make fleet-check`: Debian's, on loopback, its storage in the check's
temporary directory, scraping every replica each second with the shipped rules.

The rules are deploy/prometheus/'s, rendered with every `for:` and range selector divided by
TIME_SCALE (deploy/rules.py): the same expressions and thresholds, so an outage of seconds shows
what production's minutes would.
"""

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from deploy.rules import RULE_FILES, duration_milliseconds, scaled_rules
from deploy.tools import ensure_prometheus
from devstack import seed
from devstack.processes import stop_group
from devstack.serving import free_port

TIME_SCALE = 10
JOB = "flow-api"  # the job name the alerts expect (README: Deploying)
READY_SECONDS = 30.0


@dataclass(frozen=True)
class Prometheus:
    url: str
    log: Path

    async def alerts(self, client: httpx.AsyncClient) -> dict[str, str]:
        """Each active alert's name and state (`pending` or `firing`; `firing` if any series fires)."""
        response = await client.get(f"{self.url}/api/v1/alerts")
        response.raise_for_status()
        states: dict[str, str] = {}
        for alert in response.json()["data"]["alerts"]:
            name = alert["labels"]["alertname"]
            states[name] = "firing" if "firing" in (alert["state"], states.get(name)) else alert["state"]
        return states

    async def targets_up(self, client: httpx.AsyncClient) -> int:
        response = await client.get(f"{self.url}/api/v1/targets", params={"state": "active"})
        response.raise_for_status()
        return sum(1 for target in response.json()["data"]["activeTargets"] if target["health"] == "up")


def write_configuration(workdir: Path, targets: list[str]) -> Path:
    rules = workdir / "prometheus-rules"
    rules.mkdir()
    for path in RULE_FILES:
        (rules / path.name).write_text(scaled_rules(path.read_text(), TIME_SCALE))
    config = workdir / "prometheus.yml"
    settings = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules / "*.rules.yaml")],
        "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": targets}]}],
    }
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return config


@contextlib.asynccontextmanager
async def running_prometheus(workdir: Path, targets: list[str]) -> AsyncIterator[Prometheus]:
    """Prometheus up, its rules loaded and every target scraped once; stopped when the block ends."""
    binary, _ = ensure_prometheus()
    config = write_configuration(workdir, targets)
    address = f"{seed.HOST}:{free_port(seed.HOST)}"
    log = workdir / "prometheus.log"
    process = _start(binary, config=config, storage=workdir / "prometheus-data", address=address, log=log)
    prometheus = Prometheus(url=f"http://{address}", log=log)
    try:
        await _wait_scraping(prometheus, process, len(targets))
        yield prometheus
    finally:
        await asyncio.to_thread(stop_group, process)


def _start(binary: str, *, config: Path, storage: Path, address: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={storage}",
                f"--web.listen-address={address}",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            process_group=0,  # stopped with its whole group
        )


async def _wait_scraping(prometheus: Prometheus, process: subprocess.Popen[bytes], targets: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Prometheus exited with status {process.returncode}; see {prometheus.log}")
            with contextlib.suppress(httpx.HTTPError):
                if await prometheus.targets_up(client) == targets:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"Prometheus did not scrape all {targets} replicas within {READY_SECONDS:.0f}s")


def scaled_for_seconds(alert: str) -> float:
    """The `for:` of `alert` as fleet-check's Prometheus has it."""
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alert:
                    return duration_milliseconds(rule.get("for", "0s")) / TIME_SCALE / 1000
    raise KeyError(alert)
