"""The README's Architecture table names every module of `app/`, and only files that exist.

Each module belongs to the row whose `where` is the longest prefix of its path, and that row's
`what` names it (`protocol.py`, or `services/...py` below a package), a folder holding it, or a
pattern matching it (`*_settings.py`).
"""

from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from tests.fixtures.app_source import APP, REPO
from tests.fixtures.readme import names_in, readme_tables


def _rows() -> dict[str, list[str]]:
    """`where` -> the names quoted in `what`."""
    return {where: names_in(cells[1]) for cells in readme_tables("| where | what |") for where in names_in(cells[0])}


def _modules() -> list[str]:
    return sorted(
        path.relative_to(REPO).as_posix()
        for path in APP.rglob("*.py")
        if path.name != "__init__.py" and "static" not in path.parts
    )


def _named(relative: str, names: list[str]) -> bool:
    folders = [str(parent) + "/" for parent in PurePosixPath(relative).parents if str(parent) != "."]
    patterns = [name for name in names if "*" in name]
    return (
        relative in names
        or any(folder in names for folder in folders)
        or any(fnmatchcase(relative, pattern) for pattern in patterns)
    )


def test_every_module_is_named_in_its_row() -> None:
    rows = _rows()
    problems: list[str] = []
    for module in _modules():
        owners = [where for where in rows if module == where or (where.endswith("/") and module.startswith(where))]
        if not owners:
            problems.append(f"{module}: no row of the Architecture table covers it")
            continue
        where = max(owners, key=len)
        if module != where and not _named(module.removeprefix(where), rows[where]):
            problems.append(f"{module}: its row `{where}` does not name `{module.removeprefix(where)}`")
    assert not problems, "README's Architecture table out of step with app/:\n" + "\n".join(problems)


def test_every_file_the_table_names_exists() -> None:
    problems: list[str] = []
    for where, names in _rows().items():
        if not (REPO / where).exists():
            problems.append(f"`{where}` does not exist")
            continue
        for name in names:
            looks_like_a_path = name.endswith((".py", "/")) and " " not in name and "*" not in name
            # Relative to its row, or (`tests/e2e/` in the `tests/` row) to the repository.
            exists = (REPO / where / name).exists() or (REPO / name).exists()
            if where.endswith("/") and looks_like_a_path and not exists:
                problems.append(f"`{where}` names `{name}`, which does not exist")
    assert not problems, "README's Architecture table names files that are gone:\n" + "\n".join(problems)
