"""`make rules-check`: promtool checks deploy/prometheus/'s rule files and runs their unit tests.

Also renders the rules with every duration divided by a factor, for `make fleet-check`'s
Prometheus: an outage of seconds then shows what production's minutes would, with the same
expressions and thresholds.
"""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy.tools import ensure_prometheus

RULES_DIRECTORY = Path(__file__).parent / "prometheus"
RULE_FILES = sorted(RULES_DIRECTORY.glob("*.rules.yaml"))
TEST_FILES = sorted((RULES_DIRECTORY / "tests").glob("*.test.yaml"))

# Prometheus' duration syntax (`1h30m`, `5m`, `500ms`); a range selector is one inside brackets.
_UNIT_MILLISECONDS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_RANGE = re.compile(r"\[((?:\d+(?:ms|s|m|h|d|w))+)\]")


def duration_milliseconds(duration: str) -> int:
    parts = _DURATION_PART.findall(duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(int(number) * _UNIT_MILLISECONDS[unit] for number, unit in parts)


def _divided(duration: str, factor: int) -> str:
    milliseconds = max(1, duration_milliseconds(duration) // factor)
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


def scaled_rules(text: str, factor: int) -> str:
    """A rule file with each `for:` and each range selector divided by `factor`."""
    document: dict[str, Any] = yaml.safe_load(text)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule["expr"] = _RANGE.sub(lambda match: f"[{_divided(match[1], factor)}]", rule["expr"])
            if "for" in rule:
                rule["for"] = _divided(rule["for"], factor)
    return yaml.safe_dump(document, sort_keys=False)


def main() -> int:
    _, promtool = ensure_prometheus()
    for command in (
        [promtool, "check", "rules", *map(str, RULE_FILES)],
        # Run from the tests' directory: their rule_files are relative to it.
        [promtool, "test", "rules", *(path.name for path in TEST_FILES)],
    ):
        if subprocess.run(command, cwd=RULES_DIRECTORY / "tests", check=False).returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
