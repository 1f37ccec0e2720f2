import asyncio
import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import structlog

from app.core.config import LoggingSettings
from app.core.observability.json_lines import MAX_LOGGED_STRING
from app.core.observability.logging import CanonicalLine, configure_logging


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    configure_logging(json=True, stream=sys.__stdout__)  # whatever the next test builds replaces it


def test_production_logs_are_json_lines_with_context(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("app.test").info("something_happened", answer=42)
        logging.getLogger("uvicorn.error").info("from the standard library")

    first, second = (json.loads(line) for line in output.getvalue().splitlines())
    # The same keys in the same order, whichever library logged the line.
    assert [key for key in first if key != "answer"] == list(second)
    assert {k: first[k] for k in ("event", "answer", "request_id", "level", "logger")} == {
        "event": "something_happened",
        "answer": 42,
        "request_id": "req-1",
        "level": "info",
        "logger": "app.test",
    }
    assert first["timestamp"].endswith("Z")
    assert (second["event"], second["logger"], second["request_id"]) == (
        "from the standard library",
        "uvicorn.error",
        "req-1",
    )


def test_a_line_orjson_refuses_is_written_whole_by_the_standard_library(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)

    structlog.get_logger("app.test").info("huge", value=2**70)

    [line] = (json.loads(text) for text in output.getvalue().splitlines())
    assert (line["event"], line["value"], line["level"]) == ("huge", 2**70, "info")
    # The timestamp as orjson writes it: ISO 8601 in UTC, with a Z.
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() == timedelta(0)
    assert line["timestamp"].endswith("Z")


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_canonical_line_is_the_line_structlog_writes(output: io.StringIO, log_format: str) -> None:
    json_lines = log_format == "json"
    configure_logging(json=json_lines, level="INFO", stream=output)
    canonical = CanonicalLine("app.test", "call_made")

    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        canonical(status=201, error=None)
        structlog.get_logger("app.test").info("call_made", status=201, error=None)

    first, second = output.getvalue().splitlines()
    if json_lines:  # the same fields in the same order; only the timestamp differs
        ours, structlogs = json.loads(first), json.loads(second)
        assert (
            list(ours) == list(structlogs) == ["status", "error", "event", "request_id", "level", "logger", "timestamp"]
        )
        assert {**ours, "timestamp": None} == {**structlogs, "timestamp": None}
    else:
        assert first.partition(" ")[2] == second.partition(" ")[2]  # after the timestamp


def test_structlogs_capture_logs_sees_a_canonical_line(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)
    canonical = CanonicalLine("app.test", "call_made")
    canonical(status=200)  # a logger structlog has already cached

    with structlog.testing.capture_logs() as captured:
        canonical(status=201, error=None)

    assert captured == [{"event": "call_made", "status": 201, "error": None, "log_level": "info"}]


def test_a_canonical_line_says_whether_the_level_lets_it_through(output: io.StringIO) -> None:
    canonical = CanonicalLine("app.test", "call_made")

    configure_logging(json=True, level="WARNING", stream=output)
    below = canonical.enabled()
    configure_logging(json=True, level="INFO", stream=output)

    assert (below, canonical.enabled()) == (False, True)


def test_long_strings_are_cut_in_every_kind_of_line(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)
    long = "x" * (MAX_LOGGED_STRING + 1)

    structlog.get_logger("app.test").info("long", value=long)
    CanonicalLine("app.test", "long")(value=long)
    logging.getLogger("uvicorn.error").info(long)

    lines = [json.loads(text) for text in output.getvalue().splitlines()]
    cut = "x" * MAX_LOGGED_STRING + "...[cut]"
    assert [lines[0]["value"], lines[1]["value"], lines[2]["event"]] == [cut, cut, cut]


def test_log_level_filters(output: io.StringIO) -> None:
    configure_logging(json=True, level="WARNING", stream=output)

    structlog.get_logger("app.test").info("hidden")
    structlog.get_logger("app.test").warning("shown")

    assert [json.loads(line)["event"] for line in output.getvalue().splitlines()] == ["shown"]


def test_console_format_is_for_humans(output: io.StringIO) -> None:
    configure_logging(json=False, level="INFO", stream=output)

    structlog.get_logger("app.test").info("readable", answer=42)

    line = output.getvalue().strip()
    assert "readable" in line
    assert "answer=42" in line
    assert not line.startswith("{")


@pytest.mark.parametrize(
    ("log_format", "development", "renders_json"),
    [(None, False, True), (None, True, False), ("json", True, True), ("console", False, False)],
)
def test_log_format_defaults_follow_app_env(
    log_format: str | None,
    development: bool,  # noqa: FBT001 - a parametrized case
    renders_json: bool,  # noqa: FBT001
) -> None:
    app_env = "development" if development else "production"
    chosen = {"log_format": log_format} if log_format else {}
    settings = LoggingSettings.model_validate({**chosen, "app_env": app_env})

    assert (settings.log_format == "json") is renders_json


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.mark.usefixtures("output")  # restores the configuration afterwards
async def test_on_the_event_loop_the_lines_of_one_iteration_go_out_in_one_write() -> None:
    stream = _CountingStream()
    configure_logging(json=True, level="INFO", stream=stream)
    log = structlog.get_logger("app.test")

    log.info("first")
    log.info("second")
    written_at_once = stream.getvalue()
    await asyncio.sleep(0)

    assert written_at_once == ""
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["first", "second"]
    assert stream.writes == 1


async def test_a_line_from_another_thread_is_out_when_the_call_returns(output: io.StringIO) -> None:
    configure_logging(json=True, level="INFO", stream=output)
    structlog.get_logger("app.test").info("on_the_loop")

    thread = threading.Thread(target=lambda: logging.getLogger("app.worker").warning("from_a_thread"))
    thread.start()
    thread.join()

    # Written in order: the thread's write took the loop's waiting line with it.
    assert [json.loads(line)["event"] for line in output.getvalue().splitlines()] == ["on_the_loop", "from_a_thread"]


class _BrokenStream(io.StringIO):
    def write(self, _text: str) -> int:
        raise OSError("broken pipe")


@pytest.mark.usefixtures("output")
async def test_a_failed_write_loses_that_batch_only_and_says_so_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="INFO", stream=_BrokenStream())
    structlog.get_logger("app.test").info("lost")
    await asyncio.sleep(0)
    working = io.StringIO()
    configure_logging(json=True, level="INFO", stream=working)

    structlog.get_logger("app.test").info("kept")
    await asyncio.sleep(0)

    assert [json.loads(line)["event"] for line in working.getvalue().splitlines()] == ["kept"]
    assert "log output failed (OSError): 1 lines lost" in capfd.readouterr().err


@pytest.mark.usefixtures("output")
async def test_lines_waiting_when_logging_is_configured_again_go_to_the_output_they_were_written_for() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(json=True, level="INFO", stream=first)
    structlog.get_logger("app.test").info("for_the_first")

    configure_logging(json=True, level="INFO", stream=second)
    structlog.get_logger("app.test").info("for_the_second")
    await asyncio.sleep(0)

    assert [json.loads(line)["event"] for line in first.getvalue().splitlines()] == ["for_the_first"]
    assert [json.loads(line)["event"] for line in second.getvalue().splitlines()] == ["for_the_second"]


@pytest.mark.usefixtures("output")
async def test_a_loop_closed_before_its_flush_holds_up_no_other_loop() -> None:
    stream = io.StringIO()
    configure_logging(json=True, level="INFO", stream=stream)
    log = structlog.get_logger("app.test")

    def on_a_loop_that_closes() -> None:
        other = asyncio.new_event_loop()
        other.call_soon(lambda: log.info("on_a_loop_that_closes"))  # schedules its flush on `other`
        other.call_soon(other.stop)
        other.run_forever()  # stops before running that flush
        other.close()

    thread = threading.Thread(target=on_a_loop_that_closes)
    thread.start()
    thread.join()

    log.info("on_this_loop")
    await asyncio.sleep(0)

    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "on_a_loop_that_closes",
        "on_this_loop",
    ]
