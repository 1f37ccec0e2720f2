"""The one table, the target checks, and the JSON record of a run."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.rows import AIOHTTP, HTTPX, LABELS, LIMIT, NAIVE, OURS_1W, OURS_2W
from bench.wrk import WrkResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Measurement:
    row: int
    connections: int
    wrk: WrkResult
    rss_before_mb: float
    rss_after_mb: float


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Soak:
    requests_first: int
    requests_more: int
    rss_start_mb: float
    rss_after_first_mb: float
    rss_after_more_mb: float
    failures: int

    @property
    def stable(self) -> bool:
        return self.rss_after_more_mb <= self.rss_after_first_mb * 1.10


def _ratio(value: float, base: Measurement | None) -> str:
    if base is None or base.wrk.requests_per_sec == 0:
        return "-"
    return f"{value / base.wrk.requests_per_sec:.2f}x"


def table(rows: dict[int, Measurement]) -> str:
    header = (
        f"{'row':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'/row 2':>7} {'/row 3':>7} {'RSS MB before/after':>20}"
    )
    lines = [header, "-" * len(header)]
    for row, m in sorted(rows.items()):
        lines.append(
            f"{f'{row}. {LABELS[row]}':<28} {m.wrk.requests_per_sec:>9.0f} {m.wrk.p50_ms:>8.2f} {m.wrk.p99_ms:>8.2f} "
            f"{m.wrk.failures:>8} {_ratio(m.wrk.requests_per_sec, rows.get(HTTPX)):>7} "
            f"{_ratio(m.wrk.requests_per_sec, rows.get(AIOHTTP)):>7} "
            f"{f'{m.rss_before_mb:.1f} / {m.rss_after_mb:.1f}':>20}"
        )
        if m.wrk.socket_errors:
            lines.append(f"{'':<28} ({m.wrk.socket_errors} socket errors)")
    return "\n".join(lines)


def added_latency_ms(c1: dict[int, Measurement]) -> float | None:
    if LIMIT in c1 and OURS_1W in c1:
        return c1[OURS_1W].wrk.p50_ms - c1[LIMIT].wrk.p50_ms
    return None


def checks(rows: dict[int, Measurement], c1: dict[int, Measurement]) -> list[Check]:
    rps = {row: m.wrk.requests_per_sec for row, m in rows.items()}
    found: list[Check] = []

    def at_least(name: str, row: int, base: int, factor: float) -> None:
        if row in rps and base in rps:
            need = factor * rps[base]
            found.append(Check(name, rps[row] >= need, f"{rps[row]:.0f} req/s vs {need:.0f} needed"))

    at_least("ours(1w) >= 3x row 2 (httpx forwarder)", OURS_1W, HTTPX, 3.0)
    at_least("ours(1w) >= 40% of row 3 (aiohttp forwarder)", OURS_1W, AIOHTTP, 0.4)
    at_least("ours(1w) >= 5x naive", OURS_1W, NAIVE, 5.0)
    added = added_latency_ms(c1)
    if added is not None:
        found.append(Check("added p50 latency <= 0.7 ms (c1, row 5 - row 1)", added <= 0.7, f"{added:.3f} ms"))  # noqa: PLR2004
    at_least("2 workers >= 1.7x 1 worker", OURS_2W, OURS_1W, 1.7)
    return found


def print_report(rows: dict[int, Measurement], c1: dict[int, Measurement], found: list[Check]) -> None:
    print()
    print(table(rows))
    print()
    for row, m in sorted(c1.items()):
        print(
            f"c1 {row}. {LABELS[row]}: p50 {m.wrk.p50_ms:.3f} ms, p99 {m.wrk.p99_ms:.3f} ms, "
            f"{m.wrk.requests_per_sec:.0f} req/s"
        )
    added = added_latency_ms(c1)
    if added is not None:
        print(f"added p50 latency (c1): {added:.3f} ms")
    print()
    for check in found:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")


def print_soak(soak: Soak) -> None:
    print()
    print(f"soak, {LABELS[OURS_1W]}: RSS {soak.rss_start_mb:.1f} MB at start")
    print(f"  after {soak.requests_first} requests: {soak.rss_after_first_mb:.1f} MB")
    print(f"  after {soak.requests_more} more:  {soak.rss_after_more_mb:.1f} MB")
    print(f"  failures: {soak.failures}")
    print(f"{'PASS' if soak.stable else 'FAIL'}  RSS after the later run within 10% of after the first")


def write_json(
    *,
    options: dict[str, Any],
    rows: dict[int, Measurement],
    c1: dict[int, Measurement],
    found: list[Check],
    soak: Soak | None = None,
) -> Path:
    now = datetime.now(UTC)

    def measured(m: Measurement) -> dict[str, Any]:
        return {**asdict(m), "label": LABELS[m.row], "failures": m.wrk.failures}

    record: dict[str, Any] = {
        "timestamp": now.isoformat(),
        "options": options,
        "rows": [measured(m) for _, m in sorted(rows.items())],
        "c1": [measured(m) for _, m in sorted(c1.items())],
        "added_p50_latency_ms": added_latency_ms(c1),
        "checks": [asdict(check) for check in found],
        "soak": None if soak is None else {**asdict(soak), "stable": soak.stable},
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{now:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
