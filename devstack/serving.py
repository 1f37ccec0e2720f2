import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

_uvicorn_log = logging.getLogger("uvicorn.error")  # where uvicorn's own shutdown logs


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


class _PromptServer(uvicorn.Server):
    """A uvicorn server that begins its shutdown as soon as `stop()` is called, not at its next tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self.should_exit = True
        self._stop.set()

    async def main_loop(self) -> None:
        # uvicorn's own loop, except that the pause between ticks ends early on `stop()`.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown, except that its fixed 0.1 s pause after asking connections to close
        # ends as soon as they have: idle ones close at once, and every test paid the whole pause.
        _uvicorn_log.info("Shutting down")
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await self._until_connections_closed(within=0.1)
        try:
            await asyncio.wait_for(self._wait_tasks_to_complete(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            _uvicorn_log.error(
                "Cancel %s running task(s), timeout graceful shutdown exceeded", len(self.server_state.tasks)
            )
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _until_connections_closed(self, *, within: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                # uvicorn's set of connections signals nothing when it empties, hence a fine poll.
                while self.server_state.connections:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)


@dataclass(frozen=True)
class _Running:
    server: _PromptServer
    task: asyncio.Task[None]
    sock: socket.socket


class ServerGroup:
    """uvicorn servers inside the current event loop, stopped together on exit.

    Each waits up to 0.1 s for its connections to close (uvicorn's pause, ended early here once
    they have); servers stopped one after another would add those waits up, together they overlap.
    """

    def __init__(self) -> None:
        self._running: list[_Running] = []

    async def start(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves `app` on a loopback socket; its base URL once it accepts connections.

        Port 0 picks a free port, so parallel tests never collide.
        """
        # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
        # without it each response written in two parts waits out the client's delayed ACK (40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        server = _PromptServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
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
            each.server.stop()
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
