"""The API's neighbours on loopback for a deployment check: the dev identity provider (in this
process) and the Flow Connect simulator (a process of its own), each on a free port."""

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from devstack import seed
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.processes import stop_group_async
from devstack.serving import free_port, running_server
from devstack.startup import answers_with_pid, wait_until_ready


@dataclass(frozen=True)
class Neighbours:
    idp_url: str
    flow_connect_url: str
    key: SigningKey

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
        port = free_port(seed.HOST)
        flow_connect = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "devstack.flow_connect", f"--port={port}", f"--db={state_dir / 'flow_connect.db'}"),
            *(f"--jwks-url={idp_url}/sso/jwks/{seed.CLIENT_ID}", f"--issuer={idp_url}"),
            *(["--any-target"] if any_target else []),
            process_group=0,  # stopped with everything it started
        )
        try:
            url = f"http://{seed.HOST}:{port}"
            await wait_until_ready(flow_connect, "the Flow Connect simulator", answers_with_pid(url, flow_connect.pid))
            yield Neighbours(idp_url=idp_url, flow_connect_url=url, key=key)
        finally:
            await stop_group_async(flow_connect)
