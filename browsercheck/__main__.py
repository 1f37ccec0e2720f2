"""`python -m browsercheck` (`make browser-check`): the dev GraphiQL and CORS in a real browser.

Starts the dev stack on free loopback ports in a fresh directory (so the Flow Connect simulator
starts empty), a blank page on an allowed and on a disallowed loopback origin, then
`driver/check.mjs`, which drives Debian's Chromium through them. Screenshots go to
`.browser-check/`. Every process started here is stopped at the end, on failure too.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from browsercheck.chromium import ensure_chromium
from devstack import seed
from devstack.processes import stop_group_async
from devstack.serving import ServerGroup
from tests.e2e.process import REPO_ROOT, dev_stack

DRIVER = Path(__file__).parent / "driver"
SCREENSHOTS = REPO_ROOT / ".browser-check"
DRIVER_TIMEOUT_SECONDS = 180
# The dev default allows http://127.0.0.1:<any port>; 127.0.0.2 is loopback too, but not allowed.
ALLOWED_HOST = "127.0.0.1"
DISALLOWED_HOST = "127.0.0.2"


def _probe_page() -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return HTMLResponse(
            f"<!doctype html><title>CORS probe</title><h1>A page on {origin}</h1>"
            '<pre id="out" style="font-size:16px">calling the API…</pre>'
        )

    return Starlette(routes=[Route("/", page)])


def _install_driver() -> None:
    """playwright-core exactly as locked; it downloads no browser (we name Chromium's path)."""
    installed = DRIVER / "node_modules" / ".package-lock.json"
    lock = DRIVER / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the browser check (Node 20 or later)")
    subprocess.run(  # noqa: S603 - npm with fixed arguments
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=DRIVER,
        check=True,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
    )


def _kill_left_over(marker: str) -> None:
    """Chromium processes of our profile that outlived the driver (its helpers detach)."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


async def _drive(environment: dict[str, str]) -> int:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed for the browser check (Node 20 or later)")
    driver = await asyncio.create_subprocess_exec(
        node, str(DRIVER / "check.mjs"), env={**os.environ, **environment}, process_group=0
    )
    try:
        return await asyncio.wait_for(driver.wait(), DRIVER_TIMEOUT_SECONDS)
    except TimeoutError:
        print(f"browser-check: the driver did not finish within {DRIVER_TIMEOUT_SECONDS}s", flush=True)
        return 1
    finally:
        await stop_group_async(driver)


async def check(chromium: str, workdir: Path) -> int:
    profile = workdir / "chromium-profile"
    stack_dir = workdir / "stack"
    stack_dir.mkdir()
    print("browser-check: starting the dev stack", flush=True)
    with dev_stack(stack_dir) as (api_url, token):
        async with ServerGroup() as pages:
            allowed = await pages.start(_probe_page(), host=ALLOWED_HOST)
            disallowed = await pages.start(_probe_page(), host=DISALLOWED_HOST)
            try:
                return await _drive(
                    {
                        "BROWSER_CHECK_CHROMIUM": chromium,
                        "BROWSER_CHECK_USER_DATA_DIR": str(profile),
                        "BROWSER_CHECK_SCREENSHOTS": str(SCREENSHOTS),
                        "BROWSER_CHECK_API_URL": api_url,
                        "BROWSER_CHECK_TOKEN": token,
                        "BROWSER_CHECK_DEV_ORG_ID": seed.DEV_ORG_ID,
                        "BROWSER_CHECK_ALLOWED_ORIGIN": allowed,
                        "BROWSER_CHECK_DISALLOWED_ORIGIN": disallowed,
                    }
                )
            finally:
                _kill_left_over(str(profile))


def main() -> int:
    started = time.monotonic()
    chromium = ensure_chromium()
    _install_driver()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="browser-check-") as workdir:
        status = asyncio.run(check(chromium, Path(workdir)))
    print(f"browser-check: {'passed' if status == 0 else 'FAILED'} in {time.monotonic() - started:.1f}s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
