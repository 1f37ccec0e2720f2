"""`Upgrade` ignored, as RFC 9110 §7.8 allows: we switch to no other protocol.

httptools stops parsing HTTP/1.1 at a request with `Connection: upgrade` and `Upgrade`: the body of
such a request (h2c's upgrade POST) and every request pipelined after it would be lost. Its head is
parsed again without `Upgrade` by a fresh parser, followed by the bytes that came after it.
"""

import httptools

from app.core.http.framing import head_without_upgrade


class UpgradeReplay:
    """For the protocol: `keep_for_replay()` in on_headers_complete when the parser reports an
    upgrade, `replay_without_upgrade()` when feeding it raised HttpParserUpgrade."""

    parser: httptools.HttpRequestParser
    url: bytes
    headers: list[tuple[bytes, bytes]]
    _replay_head: bytes | None = None

    def keep_for_replay(self) -> bool:
        """False for CONNECT, which stays an upgrade without `Upgrade` (we tunnel nothing)."""
        method = self.parser.get_method()
        if method == b"CONNECT":
            return False
        version = self.parser.get_http_version()
        self._replay_head = head_without_upgrade(method, self.url, self.headers, http_version=version)
        return True

    def replay_without_upgrade(self, rest: bytes) -> None:
        """Raises HttpParserError for malformed bytes, as feeding the parser does."""
        while (head := self._replay_head) is not None:
            self._replay_head = None
            data = head + rest
            self.parser = httptools.HttpRequestParser(self)
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # as uvicorn sets it
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade as upgrade:  # another one, pipelined
                rest = data[upgrade.args[0] :]
