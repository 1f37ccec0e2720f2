"""`python -m devstack [run|token]`: the local stack behind `make run`, or a fresh dev token."""

import argparse
import asyncio
import os
import signal
import sys
from dataclasses import dataclass

import httpx

from devstack import seed
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.serving import running_server

READY_TIMEOUT_SECONDS = 30.0
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
    }


async def wait_until_listening(url: str, process: asyncio.subprocess.Process, name: str) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient(timeout=1.0) as client:
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                raise SystemExit(f"devstack: {name} exited with status {process.returncode} before it was ready")
            try:
                await client.get(url)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
            else:
                return
    raise SystemExit(f"devstack: {name} did not answer on {url} within {READY_TIMEOUT_SECONDS:.0f}s")


def banner(ports: Ports, token: str) -> str:
    api = ports.url(ports.api)
    orgs = "\n".join(f"    {org_id}  {name}" for org_id, name in seed.ORGANIZATIONS.items())
    curl = f"curl -s {api}/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer {token}' -d"
    viewer = '{"query":"{ viewer { flowUserId organizationId } }"}'
    mutation = f'{{"query":"mutation {{ createConnection(targetOrgId: \\"{EXAMPLE_TARGET_ORG_ID}\\") }}"}}'
    return f"""
Flow API dev stack is up.
  GraphiQL:      {api}/graphql   (add the header  Authorization: Bearer <token>)
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
    key = SigningKey.load_or_create(seed.KEY_FILE)
    idp = IdentityProvider(client_id=seed.CLIENT_ID, keys=[key])
    async with running_server(idp.asgi_app(), host=seed.HOST, port=ports.idp):
        flow_connect = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "devstack.flow_connect", f"--port={ports.flow_connect}"),
            *(f"--jwks-url={ports.jwks_url}", f"--issuer={ports.issuer}"),
        )
        api = await asyncio.create_subprocess_exec(sys.executable, "-m", "app", env=api_environment(ports))
        children = (api, flow_connect)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, api.terminate)
        try:
            await wait_until_listening(ports.url(ports.flow_connect), flow_connect, "the Flow Connect simulator")
            await wait_until_listening(f"{ports.url(ports.api)}/graphql", api, "the API")
            print(banner(ports, dev_token(key, ports)), flush=True)
            return await api.wait()
        finally:
            for child in children:
                if child.returncode is None:
                    child.terminate()
                    await child.wait()


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
    return asyncio.run(run_stack(ports))


if __name__ == "__main__":
    sys.exit(main())
