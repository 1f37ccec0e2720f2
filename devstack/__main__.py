"""`python -m devstack [run|token]`: the local stack behind `make run`, or a fresh dev token."""

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import Mount

from devstack import seed
from devstack.dev_tokens import DEV_TOKEN_PATH, dev_token_route
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.processes import stop_group_async
from devstack.serving import running_server
from devstack.startup import Listener, StartupError, answers_with_pid, api_accepts, check_ports_free, wait_until_ready

EXAMPLE_TARGET_ORG_ID = "9133da7c-3b98-4673-91dc-0dc58cc8740c"


@dataclass(frozen=True)
class Ports:
    api: int
    idp: int
    flow_connect: int

    def url(self, port: int) -> str:
        return f"http://{seed.HOST}:{port}"

    @property
    def issuer(self) -> str:
        return self.url(self.idp)

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/sso/jwks/{seed.CLIENT_ID}"

    @property
    def dev_token_url(self) -> str:
        return f"{self.issuer}{DEV_TOKEN_PATH}"

    @property
    def api_origins(self) -> list[str]:
        """What a browser sends as `Origin` from GraphiQL, whichever loopback name was typed."""
        return [f"http://{host}:{self.api}" for host in (seed.HOST, "localhost")]


def dev_token(key: SigningKey, ports: Ports) -> str:
    return mint_token(
        key,
        issuer=ports.issuer,
        sub=seed.DEV_USER_SUB,
        org_id=seed.DEV_ORG_ID,
        ttl_seconds=seed.DEV_TOKEN_TTL_SECONDS,
        extra_claims={"email": seed.DEV_USER_EMAIL},
    )


def api_environment(ports: Ports) -> dict[str, str]:
    """The API's environment: the caller's, pointed at the local stand-ins."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "HOST": seed.HOST,
        "PORT": str(ports.api),
        "WORKOS_CLIENT_ID": seed.CLIENT_ID,
        "WORKOS_JWKS_URL": ports.jwks_url,
        "WORKOS_ISSUER": ports.issuer,
        "FLOW_CONNECT_API_URL": ports.url(ports.flow_connect),
        "GRAPHQL_IDE_DEV_TOKEN_URL": ports.dev_token_url,
    }


def banner(ports: Ports, token: str) -> str:
    api = ports.url(ports.api)
    orgs = "\n".join(f"    {org_id}  {name}" for org_id, name in seed.ORGANIZATIONS.items())
    curl = f"curl -s {api}/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer {token}' -d"
    viewer = '{"query":"{ viewer { flowUserId organizationId } }"}'
    mutation = f'{{"query":"mutation {{ createConnection(targetOrgId: \\"{EXAMPLE_TARGET_ORG_ID}\\") }}"}}'
    return f"""
Flow API dev stack is up.
  GraphiQL:      {api}/graphql   (signed in as the dev user; "Get a fresh dev token" renews it)
  Flow Connect:  {ports.url(ports.flow_connect)}  (simulator; state in {seed.FLOW_CONNECT_DB}, delete .dev/ to reset)
  Dev user:      {seed.DEV_USER_SUB}  org_id={seed.DEV_ORG_ID}
  Organizations known to Flow Connect:
{orgs}
  Token (valid {seed.DEV_TOKEN_TTL_SECONDS // 3600}h; `make token` prints a fresh one):

{token}

  Who am I:
{curl} '{viewer}'

  Connect to Globex (true the first time, CONFLICT after):
{curl} '{mutation}'

Ctrl-C stops everything.
"""


async def run_stack(ports: Ports) -> int:
    """Serves until Ctrl-C (or SIGTERM), which is a successful stop; else the API's exit status."""
    check_ports_free(
        [
            Listener("the API", ports.api, "API_PORT"),
            Listener("the identity provider", ports.idp, "IDP_PORT"),
            Listener("the Flow Connect simulator", ports.flow_connect, "FLOW_CONNECT_PORT"),
        ]
    )
    key = SigningKey.load_or_create(seed.KEY_FILE)
    token = dev_token(key, ports)
    idp = IdentityProvider(client_id=seed.CLIENT_ID, keys=[key])
    tokens = dev_token_route(
        mint=lambda: dev_token(key, ports), ttl_seconds=seed.DEV_TOKEN_TTL_SECONDS, allow_origins=ports.api_origins
    )
    idp_with_tokens = Starlette(routes=[tokens, Mount("/", idp.asgi_app())])
    async with running_server(idp_with_tokens, host=seed.HOST, port=ports.idp):
        # Process groups of their own: Ctrl-C reaches only us, and we stop each child with all it started.
        flow_connect = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "devstack.flow_connect", f"--port={ports.flow_connect}"),
            *(f"--jwks-url={ports.jwks_url}", f"--issuer={ports.issuer}"),
            process_group=0,
        )
        api = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", env=api_environment(ports), process_group=0
        )
        try:
            return await _until_signalled(_serve(ports, token, api=api, flow_connect=flow_connect))
        finally:
            await asyncio.gather(stop_group_async(api), stop_group_async(flow_connect))


async def _serve(
    ports: Ports, token: str, *, api: asyncio.subprocess.Process, flow_connect: asyncio.subprocess.Process
) -> int:
    simulator = ports.url(ports.flow_connect)
    await wait_until_ready(flow_connect, "the Flow Connect simulator", answers_with_pid(simulator, flow_connect.pid))
    await wait_until_ready(api, "the API", api_accepts(ports.url(ports.api), token))
    print(banner(ports, token), flush=True)
    return await api.wait()


async def _until_signalled(work: Coroutine[None, None, int]) -> int:
    working = asyncio.create_task(work)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({working, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if working.done():
        return working.result()
    working.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await working
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "token"], default="run")
    parser.add_argument("--api-port", type=int, default=seed.API_PORT)
    parser.add_argument("--idp-port", type=int, default=seed.IDP_PORT)
    parser.add_argument("--flow-connect-port", type=int, default=seed.FLOW_CONNECT_PORT)
    args = parser.parse_args()
    ports = Ports(api=args.api_port, idp=args.idp_port, flow_connect=args.flow_connect_port)
    if args.command == "token":
        print(dev_token(SigningKey.load_or_create(seed.KEY_FILE), ports))
        return 0
    try:
        return asyncio.run(run_stack(ports))
    except StartupError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
