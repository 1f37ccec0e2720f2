"""`make upgrade-check`: the test suite against the newest releases of the libraries we reach into.

In a scratch copy of the working tree (tracked and untracked files, nothing git ignores), the
upper bounds in pyproject.toml come off, `uv lock --upgrade` resolves the day's newest releases,
a virtualenv of the copy's own is synced from that lock, and the whole suite runs in it. The
table names each bounded library, the version uv.lock pins, the newest release, and the suite's
result; failed tests follow it. Not part of `make check`: its answer depends on the day's releases.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

# Exact pins (`==`) are left alone: they fix a tool's output, not a library we reach into.
_UPPER_BOUND_OPERATORS = frozenset({"<", "<="})


@dataclass(frozen=True)
class Bounded:
    """A declared requirement with an upper bound, and that requirement without it."""

    name: str
    declared: str
    lifted: str


@dataclass(frozen=True)
class SuiteResult:
    passed: bool
    failed_tests: tuple[str, ...]


def bounded_requirements(pyproject: dict[str, Any]) -> list[Bounded]:
    """Every requirement of the project and its dependency groups that caps a version."""
    groups = pyproject.get("dependency-groups", {}).values()
    declared = [*pyproject["project"]["dependencies"], *(entry for group in groups for entry in group)]
    found = []
    for text in declared:
        requirement = Requirement(text)
        kept = [spec for spec in requirement.specifier if spec.operator not in _UPPER_BOUND_OPERATORS]
        if len(kept) == len(requirement.specifier):
            continue
        requirement.specifier = SpecifierSet(",".join(str(spec) for spec in kept))
        found.append(Bounded(canonicalize_name(requirement.name), text, str(requirement)))
    return found


def locked_versions(lock_file: Path) -> dict[str, str]:
    packages = tomllib.loads(lock_file.read_text())["package"]
    return {canonicalize_name(package["name"]): package["version"] for package in packages if "version" in package}


def scratch_copy(repository: Path, into: Path) -> None:
    """The working tree as git sees it: a change not yet committed is tried too."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repository,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for relative in filter(None, listing.split("\0")):
        source = repository / relative
        if source.is_file():  # a file deleted but not yet committed is listed too
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / relative)


def lift_bounds(pyproject_file: Path, bounded: list[Bounded]) -> None:
    text = pyproject_file.read_text()
    for requirement in bounded:
        text = text.replace(f'"{requirement.declared}"', f'"{requirement.lifted}"')
    pyproject_file.write_text(text)


def run_suite(copy: Path, *, uv: Path, environment: dict[str, str]) -> SuiteResult:
    subprocess.run([uv, "sync", "--frozen"], cwd=copy, env=environment, check=True)
    report = copy / "upgrade-check.xml"
    pytest = copy / ".venv" / "bin" / "pytest"
    completed = subprocess.run([pytest, f"--junitxml={report}", "-p", "no:cacheprovider"], cwd=copy, check=False)
    if not report.exists():  # pytest stopped before collecting: nothing to name
        return SuiteResult(passed=False, failed_tests=(f"pytest exited {completed.returncode}",))
    failed = tuple(
        f"{case.get('classname')}::{case.get('name')}"
        for case in ET.parse(report).iter("testcase")  # noqa: S314 - the report our own pytest just wrote
        if case.find("failure") is not None or case.find("error") is not None
    )
    return SuiteResult(passed=completed.returncode == 0, failed_tests=failed)


def table(bounded: list[Bounded], *, pinned: dict[str, str], newest: dict[str, str], suite: SuiteResult) -> str:
    rows = [("package", "pinned", "newest", "suite")]
    for requirement in bounded:
        was, now = pinned.get(requirement.name, "-"), newest.get(requirement.name, "-")
        result = "pass" if suite.passed else f"fail ({len(suite.failed_tests)} tests)"
        rows.append((requirement.name, was, now, result if now != was else f"{result}, unchanged"))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="The suite against the newest releases of the libraries we reach into."
    )
    parser.add_argument("--uv", type=Path, required=True, help="the uv the Makefile pins")
    arguments = parser.parse_args()
    uv = arguments.uv.resolve()
    repository = Path(__file__).resolve().parent.parent
    bounded = bounded_requirements(tomllib.loads((repository / "pyproject.toml").read_text()))
    pinned = locked_versions(repository / "uv.lock")
    with tempfile.TemporaryDirectory(prefix="upgrade-check-") as scratch:
        copy = Path(scratch)
        scratch_copy(repository, copy)
        lift_bounds(copy / "pyproject.toml", bounded)
        environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(copy / ".venv")}
        subprocess.run([uv, "lock", "--upgrade"], cwd=copy, env=environment, check=True)
        newest = locked_versions(copy / "uv.lock")
        suite = run_suite(copy, uv=uv, environment=environment)
    print()
    print(table(bounded, pinned=pinned, newest=newest, suite=suite))
    others = sorted(name for name, version in newest.items() if pinned.get(name, version) != version)
    moved = [name for name in others if name not in {requirement.name for requirement in bounded}]
    if moved:
        print(f"\nalso upgraded (no bound): {', '.join(f'{name} {pinned[name]} → {newest[name]}' for name in moved)}")
    for test in suite.failed_tests:
        print(f"FAILED {test}")
    return 0 if suite.passed else 1


if __name__ == "__main__":
    sys.exit(main())
