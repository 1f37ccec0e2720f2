"""The tables, the target checks, and the JSON record of a run."""

import json
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.rows import HTTPX, LABELS, LIMIT, MINIMAL, NAIVE, OURS_1W, OURS_2W, OURS_WARNING, YOGA
from bench.wrk import WrkResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Measurement:
    row: int
    connections: int
    wrk: WrkResult
    rss_before_mb: float
    rss_after_mb: float
    cpu_us_per_request: float
    window: tuple[float, float]  # CLOCK_MONOTONIC, to assign GC pauses to it


@dataclass(frozen=True)
class Summary:
    """One row at one concurrency: the median of its rounds."""

    row: int
    connections: int
    rounds: int
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    failures: int
    socket_errors: int
    rss_before_mb: float
    rss_after_mb: float

    @classmethod
    def of(cls, runs: list[Measurement]) -> "Summary":
        def median(values: list[float]) -> float:
            return statistics.median(values)

        return cls(
            row=runs[0].row,
            connections=runs[0].connections,
            rounds=len(runs),
            requests_per_sec=median([m.wrk.requests_per_sec for m in runs]),
            p50_ms=median([m.wrk.p50_ms for m in runs]),
            p99_ms=median([m.wrk.p99_ms for m in runs]),
            cpu_us_per_request=median([m.cpu_us_per_request for m in runs]),
            failures=sum(m.wrk.failures for m in runs),
            socket_errors=sum(m.wrk.socket_errors for m in runs),
            rss_before_mb=runs[0].rss_before_mb,
            rss_after_mb=runs[-1].rss_after_mb,
        )


@dataclass(frozen=True)
class GcPauses:
    """The collector's pauses inside the measured windows of one row (all rounds)."""

    row: int
    connections: int
    seconds: float
    count: int
    total_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def share(self) -> float:
        return self.total_ms / 1000 / self.seconds if self.seconds else 0.0


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


def gc_pauses(runs: list[Measurement], pauses: list[tuple[float, float, int]]) -> GcPauses:
    """`pauses` as bench/gcstats records them: (monotonic end, seconds, generation)."""
    windows = [m.window for m in runs]
    inside = [seconds for end, seconds, _ in pauses if any(start <= end <= stop for start, stop in windows)]
    return GcPauses(
        row=runs[0].row,
        connections=runs[0].connections,
        seconds=sum(stop - start for start, stop in windows),
        count=len(inside),
        total_ms=sum(inside) * 1000,
        max_ms=max(inside, default=0.0) * 1000,
    )


def _ratio(value: float, base: Summary | None) -> str:
    if base is None or base.requests_per_sec == 0:
        return "-"
    return f"{value / base.requests_per_sec:.2f}x"


def table(rows: dict[int, Summary]) -> str:
    header = (
        f"{'row':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10} {'non-2xx':>8} "
        f"{'/minimal':>8} {'RSS MB before/after':>20}"
    )
    lines = [header, "-" * len(header)]
    for row, s in sorted(rows.items()):
        lines.append(
            f"{f'{row}. {LABELS[row]}':<30} {s.requests_per_sec:>8.0f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f} "
            f"{s.cpu_us_per_request:>10.0f} {s.failures:>8} {_ratio(s.requests_per_sec, rows.get(MINIMAL)):>8} "
            f"{f'{s.rss_before_mb:.1f} / {s.rss_after_mb:.1f}':>20}"
        )
        if s.socket_errors:
            lines.append(f"{'':<30} ({s.socket_errors} socket errors)")
    return "\n".join(lines)


def c1_table(c1: dict[int, Summary]) -> str:
    header = f"{'one connection':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10}"
    lines = [header, "-" * len(header)]
    lines.extend(
        f"{f'{row}. {LABELS[row]}':<30} {s.requests_per_sec:>8.0f} {s.p50_ms:>8.3f} {s.p99_ms:>8.3f} "
        f"{s.cpu_us_per_request:>10.0f}"
        for row, s in sorted(c1.items())
    )
    return "\n".join(lines)


def gc_table(gcs: list[GcPauses]) -> str:
    header = f"{'GC pauses':<30} {'conns':>5} {'per s':>7} {'ms per s':>9} {'max ms':>7} {'count':>6}"
    lines = [header, "-" * len(header)]
    lines.extend(
        f"{f'{g.row}. {LABELS[g.row]}':<30} {g.connections:>5} {g.per_second:>7.1f} {g.share * 1000:>9.2f} "
        f"{g.max_ms:>7.2f} {g.count:>6}"
        for g in sorted(gcs, key=lambda g: (g.row, -g.connections))
    )
    return "\n".join(lines)


def checks(rows: dict[int, Summary], c1: dict[int, Summary]) -> list[Check]:  # noqa: C901 - one line per target
    found: list[Check] = []

    def compare(name: str, value: float, limit: float, unit: str, *, at_least: bool) -> None:
        passed = value >= limit if at_least else value <= limit
        found.append(Check(name, passed, f"{value:.3f} {unit} vs {'>=' if at_least else '<='} {limit:.3f}"))

    def rps(row: int) -> float:
        return rows[row].requests_per_sec

    def cpu(row: int) -> float:
        return rows[row].cpu_us_per_request

    if {OURS_1W, OURS_WARNING} <= rows.keys():
        compare("INFO within 5% of WARNING (req/s)", rps(OURS_1W), 0.95 * rps(OURS_WARNING), "req/s", at_least=True)
    if {OURS_1W, MINIMAL} <= rows.keys():
        compare("ours >= minimal Strawberry (req/s)", rps(OURS_1W), rps(MINIMAL), "req/s", at_least=True)
        compare("ours CPU <= minimal Strawberry's", cpu(OURS_1W), cpu(MINIMAL), "us/req", at_least=False)
    if {OURS_1W, YOGA} <= rows.keys():
        compare("ours CPU <= 1.25x Yoga+undici's", cpu(OURS_1W), 1.25 * cpu(YOGA), "us/req", at_least=False)
    if {OURS_1W, YOGA} <= c1.keys():
        compare("c1 p50 within 0.1 ms of Yoga's", c1[OURS_1W].p50_ms, c1[YOGA].p50_ms + 0.1, "ms", at_least=False)
    if {OURS_1W, MINIMAL} <= c1.keys():
        compare("c1 p99 <= 2x minimal Strawberry's", c1[OURS_1W].p99_ms, 2 * c1[MINIMAL].p99_ms, "ms", at_least=False)
    if {OURS_1W, HTTPX} <= rows.keys():
        compare("ours >= 3x row 2 (httpx forwarder)", rps(OURS_1W), 3 * rps(HTTPX), "req/s", at_least=True)
    if {OURS_1W, NAIVE} <= rows.keys():
        compare("ours >= 5x naive", rps(OURS_1W), 5 * rps(NAIVE), "req/s", at_least=True)
    if {OURS_1W, OURS_2W} <= rows.keys():
        compare("2 workers >= 1.7x 1 worker", rps(OURS_2W), 1.7 * rps(OURS_1W), "req/s", at_least=True)
    return found


def added_latency_ms(c1: dict[int, Summary]) -> float | None:
    if LIMIT in c1 and OURS_1W in c1:
        return c1[OURS_1W].p50_ms - c1[LIMIT].p50_ms
    return None


def print_report(rows: dict[int, Summary], c1: dict[int, Summary], gcs: list[GcPauses], found: list[Check]) -> None:
    rounds = max((s.rounds for s in rows.values()), default=0)
    print(f"\nmedians of {rounds} interleaved rounds\n")
    print(table(rows))
    if c1:
        print()
        print(c1_table(c1))
    added = added_latency_ms(c1)
    if added is not None:
        print(f"added p50 latency (c1, ours - nginx): {added:.3f} ms")
    if gcs:
        print()
        print(gc_table(gcs))
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
    rows: dict[int, Summary],
    c1: dict[int, Summary],
    gcs: list[GcPauses],
    runs: list[Measurement],
    found: list[Check],
    soak: Soak | None = None,
) -> Path:
    now = datetime.now(UTC)

    def labelled(s: Summary) -> dict[str, Any]:
        return {**asdict(s), "label": LABELS[s.row]}

    record: dict[str, Any] = {
        "timestamp": now.isoformat(),
        "options": options,
        "rows": [labelled(s) for _, s in sorted(rows.items())],
        "c1": [labelled(s) for _, s in sorted(c1.items())],
        "gc_pauses": [{**asdict(g), "per_second": g.per_second, "share": g.share} for g in gcs],
        "runs": [asdict(m) for m in runs],
        "added_p50_latency_ms": added_latency_ms(c1),
        "checks": [asdict(check) for check in found],
        "soak": None if soak is None else {**asdict(soak), "stable": soak.stable},
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{now:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
