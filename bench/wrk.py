"""wrk: the Lua script every row shares, running it, and reading its report."""

import asyncio
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_BAD_BODIES = re.compile(r"^bad_bodies: (\d+)$", re.MULTILINE)

# `response` runs in each wrk thread's own Lua state and `done` in yet another, so the
# count is read back through the thread handles collected in `setup`. Bodies are only
# judged for statuses wrk does not already count as errors, so nothing is counted twice.
_SCRIPT = """\
wrk.method = "POST"
wrk.body = {body}
{headers}
local expected = {expected}
local stop_after = {stop_after}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  bad = 0
  answered = 0
end
{keys}
function response(status, headers, body)
  answered = answered + 1
  if status < 400 and not string.find(body, expected, 1, true) then
    bad = bad + 1
  end
  if stop_after > 0 and answered >= stop_after then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("bad_bodies: %d\\n", total))
end
"""
# A fresh Idempotency-Key per request, as a client that retries safely sends one per user
# action. Defining `request` makes wrk call it for every request (without it wrk sends one
# prebuilt request), so the rest of the request is built once, in `init`, and only the key is
# joined in. `key_prefix` is new for each script written, so no run repeats an earlier key.
_KEYED_REQUESTS = """
local key_prefix = {key_prefix}
local plain_init = init
local head, tail
local sent = 0

function init(args)
  plain_init(args)
  local prebuilt = wrk.format()
  local blank_line = string.find(prebuilt, "\\r\\n\\r\\n", 1, true)
  head = string.sub(prebuilt, 1, blank_line + 1) .. "Idempotency-Key: " .. key_prefix .. thread_number .. "-"
  tail = "\\r\\n" .. string.sub(prebuilt, blank_line + 2)
end

function request()
  sent = sent + 1
  return head .. sent .. tail
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    bad_bodies: int
    socket_errors: int

    @property
    def failures(self) -> int:
        """HTTP errors plus 2xx answers that did not say what they should have."""
        return self.non_2xx + self.bad_bodies


def _lua_string(text: str) -> str:
    # A long bracket needs no escaping; JSON bodies never contain its closing sequence.
    # Used as a table key it needs spaces around it: `t[[==[` would open a long string.
    if "]==]" in text or text.startswith("\n"):
        raise ValueError(f"cannot embed {text!r} in a Lua long string")
    return f"[==[{text}]==]"


def write_script(
    path: Path,
    *,
    body: str,
    headers: dict[str, str],
    expected: str,
    stop_after: int = 0,
    idempotency_keys: bool = False,
) -> Path:
    """POST `body` with `headers`; 2xx bodies lacking `expected` count as bad; stop after `stop_after`
    answers; with `idempotency_keys`, each request carries an `Idempotency-Key` no earlier one had."""
    header_lines = "\n".join(f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    keys = _KEYED_REQUESTS.format(key_prefix=_lua_string(f"bench-{uuid.uuid4().hex}-")) if idempotency_keys else ""
    path.write_text(
        _SCRIPT.format(
            body=_lua_string(body),
            headers=header_lines,
            expected=_lua_string(expected),
            stop_after=stop_after,
            keys=keys,
        )
    )
    return path


def parse(output: str) -> WrkResult:
    percentiles = {match[1]: float(match[2]) * _UNIT_MS[match[3]] for match in _PERCENTILE.finditer(output)}
    rps, total = _RPS.search(output), _TOTAL.search(output)
    bad = _BAD_BODIES.search(output)
    # wrk silently falls back to plain GETs when the script does not load: `done` proves it ran.
    if rps is None or total is None or bad is None or set(percentiles) != {"50", "99"}:
        raise ValueError(f"unexpected wrk output (did the Lua script load?):\n{output}")
    non_2xx, sockets = _NON_2XX.search(output), _SOCKET_ERRORS.search(output)
    return WrkResult(
        requests=int(total[1]),
        requests_per_sec=float(rps[1]),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        bad_bodies=int(bad[1]),
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


async def run(wrk: str, *, url: str, script: Path, connections: int, seconds: int) -> WrkResult:
    """`wrk -t1 -c<connections> -d<seconds>s --latency -s <script> <url>`, as a subprocess so the
    caller's event loop (which serves the identity provider) keeps running meanwhile."""
    process = await asyncio.create_subprocess_exec(
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        stdout, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = stdout.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with status {process.returncode}:\n{output}")
    return parse(output)
