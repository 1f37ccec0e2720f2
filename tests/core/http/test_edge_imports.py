import pkgutil
import subprocess
import sys
from pathlib import Path

import app.core.http

_REPOSITORY = Path(__file__).resolve().parents[3]
# GraphQL's libraries and our GraphQL layer (its errors included).
_GRAPHQL_PACKAGES = ("strawberry", "graphql", "app.graphql", "app.errors")


def test_the_http_edge_loads_nothing_of_graphql() -> None:
    modules = [f"app.core.http.{module.name}" for module in pkgutil.iter_modules(app.core.http.__path__)]
    loads = "import importlib, sys\nfor name in sys.argv[1:]: importlib.import_module(name)\nprint(*sys.modules)"

    loaded = subprocess.run(  # noqa: S603 - this interpreter, our modules
        [sys.executable, "-c", loads, *modules], cwd=_REPOSITORY, check=True, capture_output=True, text=True
    ).stdout.split()

    assert "app.core.http.protocol" in loaded
    graphql = [name for name in loaded if any(name == p or name.startswith(f"{p}.") for p in _GRAPHQL_PACKAGES)]
    assert graphql == []
