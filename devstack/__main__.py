"""`python -m devstack [run|token]`: the local stack behind `make run`, or a fresh dev token."""

import argparse
import asyncio
import os
import signal
import sys

import httpx

from devstack import seed
from devstack.identity import IdentityProvider, mint_token
from devstack.keys import SigningKey
from devstack.serving import running_server

READY_TIMEOUT_SECONDS = 30.0


def issuer(idp_port: int) -> str:
    return f"http://{seed.HOST}:{idp_port}"


def dev_token(key: SigningKey, *, idp_port: int) -> str:
    return mint_token(
        key,
        issuer=issuer(idp_port),
        sub=seed.DEV_USER_SUB,
        org_id=seed.DEV_ORG_ID,
        ttl_seconds=seed.DEV_TOKEN_TTL_SECONDS,
        extra_claims={"email": seed.DEV_USER_EMAIL},
    )


def api_environment(*, api_port: int, idp_port: int) -> dict[str, str]:
    """The API's environment: the caller's, pointed at the local stand-ins."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "HOST": seed.HOST,
        "PORT": str(api_port),
        "WORKOS_CLIENT_ID": seed.CLIENT_ID,
        "WORKOS_JWKS_URL": f"{issuer(idp_port)}/sso/jwks/{seed.CLIENT_ID}",
        "WORKOS_ISSUER": issuer(idp_port),
    }


async def wait_until_ready(url: str, api: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient(timeout=1.0) as client:
        while asyncio.get_running_loop().time() < deadline:
            if api.returncode is not None:
                raise SystemExit(f"devstack: the API exited with status {api.returncode} before it was ready")
            try:
                await client.get(url)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
            else:
                return
    raise SystemExit(f"devstack: the API did not answer on {url} within {READY_TIMEOUT_SECONDS:.0f}s")


def banner(api_url: str, token: str) -> str:
    query = '{"query":"{ viewer { flowUserId organizationId } }"}'
    return f"""
Flow API dev stack is up.
  GraphiQL:  {api_url}/graphql   (paste the token below as an `Authorization: Bearer ...` header)
  Dev user:  {seed.DEV_USER_SUB}  org_id={seed.DEV_ORG_ID}
  Token (valid {seed.DEV_TOKEN_TTL_SECONDS // 3600}h; `make token` prints a fresh one):

{token}

  Try it:
curl -s {api_url}/graphql -H 'Content-Type: application/json' -H 'Authorization: Bearer {token}' -d '{query}'

Ctrl-C stops everything.
"""


async def run_stack(*, api_port: int, idp_port: int) -> int:
    key = SigningKey.load_or_create(seed.KEY_FILE)
    idp = IdentityProvider(client_id=seed.CLIENT_ID, keys=[key])
    api_url = f"http://{seed.HOST}:{api_port}"
    async with running_server(idp.asgi_app(), host=seed.HOST, port=idp_port):
        api = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", env=api_environment(api_port=api_port, idp_port=idp_port)
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, api.terminate)
        try:
            await wait_until_ready(f"{api_url}/graphql", api)
            print(banner(api_url, dev_token(key, idp_port=idp_port)), flush=True)
            return await api.wait()
        finally:
            if api.returncode is None:
                api.terminate()
                await api.wait()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "token"], default="run")
    parser.add_argument("--api-port", type=int, default=seed.API_PORT)
    parser.add_argument("--idp-port", type=int, default=seed.IDP_PORT)
    args = parser.parse_args()
    if args.command == "token":
        print(dev_token(SigningKey.load_or_create(seed.KEY_FILE), idp_port=args.idp_port))
        return 0
    return asyncio.run(run_stack(api_port=args.api_port, idp_port=args.idp_port))


if __name__ == "__main__":
    sys.exit(main())
