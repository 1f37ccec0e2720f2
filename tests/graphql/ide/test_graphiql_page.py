"""The development GraphiQL page over real HTTP: only our own assets, and none in production."""

import json
import re

import pytest

from app.core.config import GraphQLSettings
from app.core.config.graphql_ide_settings import GraphQLIdeSettings
from app.graphql.ide import ASSETS_PATH, GraphiQLPage
from tests.conftest import ApiFactory
from tests.fixtures.graphql_client import GraphQLClient

HTML = {"Accept": "text/html"}
_ASSET_URL = re.compile(r'(?:src|href)="([^"]+)"')
_CONFIG = re.compile(r'<script id="flow-graphiql-config" type="application/json">(.*?)</script>', re.DOTALL)
TOKEN_URL = "http://127.0.0.1:8001/dev/token"  # noqa: S105 - a URL, not a secret


@pytest.fixture(autouse=True)
def _no_ide_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAPHQL_IDE_DEV_TOKEN_URL", raising=False)


async def _page_config(api: GraphQLClient) -> dict[str, object]:
    page = await api.http.get("/graphql", headers=HTML)
    found = _CONFIG.search(page.text)
    assert found is not None
    config: dict[str, object] = json.loads(found.group(1))
    return config


async def test_the_page_loads_only_assets_we_serve(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    page = await api.http.get("/graphql", headers=HTML)
    assets = _ASSET_URL.findall(page.text)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert len(assets) == 6
    assert all(url.startswith(f"{ASSETS_PATH}/") for url in assets), assets
    for url in assets:
        asset = await api.http.get(url)
        assert asset.status_code == 200, url
        expected_type = "text/css" if url.endswith(".css") else "javascript"
        assert expected_type in asset.headers["content-type"], url


async def test_the_page_tells_the_browser_to_load_nothing_else(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    policy = (await api.http.get("/graphql", headers=HTML)).headers["content-security-policy"]

    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy


async def test_without_a_token_url_the_page_has_no_token_button(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    assert await _page_config(api) == {"endpoint": "/graphql", "devTokenUrl": None}


async def test_the_dev_token_url_reaches_the_page_and_its_policy(start_api: ApiFactory) -> None:
    ide = GraphQLIdeSettings(app_env="development", graphql_ide_dev_token_url=TOKEN_URL)
    api = await start_api(app_env="development", graphql_ide=ide)

    page = await api.http.get("/graphql", headers=HTML)

    assert (await _page_config(api))["devTokenUrl"] == TOKEN_URL
    assert "connect-src 'self' http://127.0.0.1:8001;" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    ["/graphql/ide/vendor/graphiql.min.js", "/graphql/ide/flow-graphiql.js", "/graphql/ide/vendor/SHA256SUMS"],
)
async def test_production_serves_no_ide_assets(start_api: ApiFactory, path: str) -> None:
    api = await start_api(app_env="production")

    assert (await api.http.get(path)).status_code == 404
    assert (await api.http.get("/graphql", headers=HTML)).status_code == 404


async def test_assets_follow_the_ide_switch_not_the_environment(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development", graphql=GraphQLSettings(graphql_ide=False))

    assert (await api.http.get("/graphql/ide/vendor/graphiql.min.js")).status_code == 404


async def test_the_asset_folder_lists_nothing(start_api: ApiFactory) -> None:
    api = await start_api(app_env="development")

    assert (await api.http.get(f"{ASSETS_PATH}/")).status_code == 404
    assert (await api.http.get(f"{ASSETS_PATH}/vendor/")).status_code == 404


def test_the_config_cannot_close_its_script_element() -> None:
    hostile = "http://127.0.0.1:1/</script><script>alert(1)</script>"
    html = bytes(GraphiQLPage(dev_token_url=hostile).response().body)

    assert html.count(b"</script>") == 5  # the config's own and the four asset scripts
