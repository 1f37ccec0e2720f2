"""Server processes under test: tools, free ports, start, readiness, RSS, stop."""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.processes import all_processes, stop_group

HOST = "127.0.0.1"
TOOLS = ("nginx", "wrk")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # nginx lives here, often off a user's PATH


def which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path=os.pathsep.join(_SBIN))


def ensure_tools() -> dict[str, str]:
    """Paths of nginx and wrk, installing Debian's packages first when either is missing."""
    missing = [tool for tool in TOOLS if which(tool) is None]
    if missing:
        print(f"bench: {', '.join(missing)} missing; installing Debian's nginx and wrk")
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", *TOOLS],
        ):
            print(f"bench: $ {' '.join(command)}", flush=True)
            subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # noqa: S603
    paths = {tool: which(tool) for tool in TOOLS}
    found = {tool: path for tool, path in paths.items() if path is not None}
    if len(found) != len(TOOLS):
        raise RuntimeError(f"still missing after install: {sorted(set(TOOLS) - set(found))}")
    return found


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def rss_mb(self) -> float:
        """VmRSS summed over the server's process group (uvicorn and nginx workers included)."""
        return sum(_vm_rss_kb(pid) for pid in self.members()) / 1024

    def members(self) -> list[int]:
        return [process.pid for process in all_processes() if process.pgid == self.process.pid]

    def cpu_seconds(self) -> float:
        """User and system CPU of the server's process group, every thread included (Node's too)."""
        return sum(_cpu_ticks(pid) for pid in self.members()) / _CLOCK_TICKS

    def stop(self) -> None:
        stop_group(self.process)


def stop_servers_on_sigterm() -> None:
    """SIGTERM (`kill`, a CI timeout) then raises KeyboardInterrupt as Ctrl-C does, so every
    server is stopped on the way out; by default it would leave them running in their own
    process groups."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def ensure_node_peers(peers: Path) -> str:
    """The machine's node, with the peers' locked packages installed (`npm ci`) when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node and npm are needed for the Node peer rows (or choose --rows without 9,10)")
    if not (peers / "node_modules").is_dir():
        print("bench: $ npm ci (bench/peers)", flush=True)
        subprocess.run(  # noqa: S603
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=peers, check=True
        )
    return node


def start(name: str, command: list[str], *, port: int, log_dir: Path, env: dict[str, str] | None = None) -> Server:
    log = log_dir / f"{name.replace(' ', '_').replace(',', '')}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            # Its own process group: a Ctrl-C reaches only us, and we stop each server with its workers.
            process_group=0,
        )
    return Server(name=name, port=port, process=process, log=log)


async def wait_ready(server: Server, *, seconds: float = 60.0) -> None:
    """Until the server answers any HTTP request (with several workers, the port is bound first)."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with status {server.process.returncode}:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                await client.get(f"{server.url}/")
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not answer within {seconds:.0f}s:\n{server.log_tail()}")
            await asyncio.sleep(0.1)


def _vm_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    # Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
