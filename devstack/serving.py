import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for servers started in another process)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    """Whether binding `port` fails because something holds it (what our server would hit)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: a port left in TIME_WAIT by a previous run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


@dataclass(frozen=True)
class _Running:
    server: uvicorn.Server
    task: asyncio.Task[None]
    sock: socket.socket


class ServerGroup:
    """uvicorn servers inside the current event loop, stopped together on exit.

    uvicorn notices a stop request at its next tick and pauses before closing connections;
    servers stopped one after another add those waits up, servers stopped together pay them once.
    """

    def __init__(self) -> None:
        self._running: list[_Running] = []

    async def start(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves `app` on a loopback socket; its base URL once it accepts connections.

        Port 0 picks a free port, so parallel tests never collide.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
        running = _Running(server, asyncio.create_task(server.serve(sockets=[sock])), sock)
        self._running.append(running)
        while not server.started:
            if running.task.done():
                self._running.remove(running)
                sock.close()
                running.task.result()  # re-raise why it could not start
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.01)
        return f"http://{host}:{sock.getsockname()[1]}"

    async def aclose(self) -> None:
        running, self._running = self._running, []
        for each in running:
            each.server.should_exit = True
        outcomes = await asyncio.gather(*(each.task for each in running), return_exceptions=True)
        for each in running:
            each.sock.close()
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if errors:
            raise BaseExceptionGroup("servers failed while stopping", errors)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        await self.aclose()


@contextlib.asynccontextmanager
async def running_server(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """One server of its own group: `ServerGroup.start`, stopped when the block ends."""
    async with ServerGroup() as group:
        yield await group.start(app, host=host, port=port)
