"""Room for a newcomer at the connection cap, as nginx makes it when `worker_connections` run out:
the keep-alive connection idle longest is closed, as its keep-alive timeout would close it."""

from collections.abc import Iterable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def close_longest_idle(connections: Iterable[object]) -> bool:
    """False if no connection is idle: each has a request under way, an answer still in its write
    buffer, or has not sent its first request. Idle means the keep-alive timer runs (uvicorn arms it
    once the last answer is complete, and cancels it at the first byte of the next request), so no
    answer is cut and nothing received is lost. One pass over the connections, made only at the cap;
    connections idle since the same tick of the loop's clock (milliseconds with uvloop) are alike."""
    idle = [
        (timer.when(), connection)
        for connection in connections
        if isinstance(connection, HttpToolsProtocol)
        and (timer := connection.timeout_keep_alive_task) is not None
        and not connection.transport.is_closing()
        and connection.transport.get_write_buffer_size() == 0
    ]
    if not idle:
        return False
    _, longest = min(idle, key=lambda entry: entry[0])
    longest.timeout_keep_alive_handler()
    return True
