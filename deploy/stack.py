"""The API's neighbours on loopback for a deployment check: the dev identity provider (in this
process) and the Flow Connect simulator (a process of its own), each on a free port."""

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack import seed
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.processes import stop_group_async
from devstack.serving import free_port, running_server
from devstack.startup import answers_with_pid, wait_until_ready


@dataclass(frozen=True)
class Upstream:
    """What the Flow Connect simulator read since it started."""

    requests: int
    repeated: int  # Idempotency-Keys read more than once


@dataclass
class FlowConnectSimulator:
    """The simulator's process, stopped and started again on the same port and database as an
    outage of Flow Connect would be (`make fleet-check`)."""

    port: int
    arguments: list[str]
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{seed.HOST}:{self.port}"

    async def start(self) -> None:
        self.process = process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "devstack.flow_connect", f"--port={self.port}", *self.arguments),
            process_group=0,  # stopped with everything it started
        )
        await wait_until_ready(process, "the Flow Connect simulator", answers_with_pid(self.url, process.pid))

    async def upstream(self) -> Upstream:
        async with httpx.AsyncClient(trust_env=False) as client:
            counts = (await client.get(f"{self.url}/idempotency-keys")).json()
        return Upstream(requests=counts["requests"], repeated=counts["repeated"])

    async def stop(self) -> None:
        if self.process is not None:
            await stop_group_async(self.process)
            self.process = None


@dataclass(frozen=True)
class Neighbours:
    idp_url: str
    flow_connect: FlowConnectSimulator
    key: SigningKey

    @property
    def flow_connect_url(self) -> str:
        return self.flow_connect.url

    def api_environment(self) -> dict[str, str]:
        """What the API needs to trust the dev identity provider and call the simulator."""
        return {
            "WORKOS_CLIENT_ID": seed.CLIENT_ID,
            "WORKOS_JWKS_URL": f"{self.idp_url}/sso/jwks/{seed.CLIENT_ID}",
            "WORKOS_ISSUER": self.idp_url,
            "FLOW_CONNECT_API_URL": self.flow_connect_url,
        }

    def token(self) -> str:
        """A token for the seeded user of the seeded organization, as `make token` mints."""
        return mint_token(self.key, issuer=self.idp_url, sub=seed.DEV_USER_SUB, org_id=seed.DEV_ORG_ID)


@contextlib.asynccontextmanager
async def running_neighbours(state_dir: Path, *, any_target: bool = False) -> AsyncIterator[Neighbours]:
    """A fresh key and a fresh simulator database in `state_dir`: a check never sees `.dev/`'s
    state, so the plan's mutation is new to the simulator every time."""
    key = SigningKey.generate()
    idp = IdentityProvider(client_id=seed.CLIENT_ID, keys=[key])
    async with running_server(idp.asgi_app(), host=seed.HOST) as idp_url:
        flow_connect = FlowConnectSimulator(
            port=free_port(seed.HOST),
            arguments=[
                f"--db={state_dir / 'flow_connect.db'}",
                f"--jwks-url={idp_url}/sso/jwks/{seed.CLIENT_ID}",
                f"--issuer={idp_url}",
                *(["--any-target"] if any_target else []),
            ],
        )
        try:
            await flow_connect.start()
            yield Neighbours(idp_url=idp_url, flow_connect=flow_connect, key=key)
        finally:
            await flow_connect.stop()
