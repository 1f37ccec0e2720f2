"""The GraphiQL page we serve in development: our own HTML, loading only our own assets.

Strawberry's page loads GraphiQL from a CDN; ours loads the vendored builds under
`ASSETS_PATH` (see `scripts/vendor-graphiql.sh`), so it works offline and can be pinned.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app.core.config.graphql_ide_settings import GraphQLIdeSettings

ASSETS_PATH = "/graphql/ide"
_HERE = Path(__file__).parent
ASSETS_DIRECTORY = _HERE / "static"


@dataclass(frozen=True, kw_only=True)
class GraphiQLPage:
    endpoint: str = "/graphql"
    # Where the page fetches a fresh dev token; None: no token button, empty headers.
    dev_token_url: str | None = None

    @classmethod
    def from_settings(cls, settings: GraphQLIdeSettings) -> "GraphiQLPage":
        return cls(dev_token_url=settings.dev_token_url)

    def response(self) -> HTMLResponse:
        config = json.dumps({"endpoint": self.endpoint, "devTokenUrl": self.dev_token_url})
        # Inside <script>, "<" could close the element: JSON's own escape keeps it data.
        html = _template().substitute(assets=ASSETS_PATH, config=config.replace("<", "\\u003c"))
        return HTMLResponse(html, headers=self._security_headers())

    def _security_headers(self) -> dict[str, str]:
        connect = "'self'"
        if self.dev_token_url is not None:
            token_origin = urlsplit(self.dev_token_url)
            connect += f" {token_origin.scheme}://{token_origin.netloc}"
        # The browser itself refuses anything but our assets, our API and the token endpoint.
        # GraphiQL sets inline styles (and its fonts are data: URLs), hence those two allowances.
        policy = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self' data:; img-src 'self' data:; connect-src {connect}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return {"Content-Security-Policy": policy, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def asset_routes(page: GraphiQLPage | None) -> list[Mount]:
    """The page's scripts and styles, served only while the page is (production serves none)."""
    if page is None:
        return []
    return [Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIRECTORY), name="graphql-ide-assets")]


@cache
def _template() -> Template:
    return Template((_HERE / "page.html").read_text(encoding="utf-8"))
