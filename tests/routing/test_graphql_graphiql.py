"""GraphiQL's page: where its assets come from (``graphiql_assets``), and how it loads them.

The page loads its stylesheet and scripts from script (never a parser-blocking ``<script src>``), so that it can
say when they do not load: on an error, or when nothing arrived after ``graphiql_load_timeout`` seconds.
tests/e2e/test_showcase_browser.py runs the page in headless Chromium.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import pytest
from graphql import build_schema

from starlette_routing.graphql import GRAPHIQL_ASSETS, GraphQLApp

TestClientFactory = Callable[..., Any]

SCHEMA = build_schema("type Query { hello: String }")
UNPKG = {
    "react.js": "https://unpkg.com/react@18/umd/react.production.min.js",
    "react-dom.js": "https://unpkg.com/react-dom@18/umd/react-dom.production.min.js",
    "graphiql.js": "https://unpkg.com/graphiql@3/graphiql.min.js",
    "graphiql.css": "https://unpkg.com/graphiql@3/graphiql.min.css",
}
SELF_SERVED = {
    "react.js": "/static/graphiql/react.production.min.js",
    "react-dom.js": "/static/graphiql/react-dom.production.min.js",
    "graphiql.js": "https://assets.example.com/graphiql.min.js",
    "graphiql.css": "https://assets.example.com/graphiql.min.css",
}


def graphiql_page(test_client_factory: TestClientFactory, graphql_app: GraphQLApp) -> str:
    response = test_client_factory(graphql_app).get("/", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return str(response.text)


def assets_in(page: str) -> dict[str, str]:
    """The asset URLs as the page's script reads them (a JSON object literal)."""
    match = re.search(r"const assets = (\{.*?\});\n", page)
    assert match is not None
    assets: dict[str, str] = json.loads(match.group(1))
    return assets


def test_default_assets_come_from_unpkg(test_client_factory: TestClientFactory) -> None:
    graphql_app = GraphQLApp(SCHEMA)
    assert GRAPHIQL_ASSETS == UNPKG
    assert graphql_app.graphiql_assets == UNPKG
    page = graphiql_page(test_client_factory, graphql_app)
    assert assets_in(page) == UNPKG
    for url in UNPKG.values():
        assert f'"{url}"' in page
    assert "Loading GraphiQL..." in page
    assert "const loadTimeout = 10000;" in page
    # Loaded from script, never by the parser: a missing or slow asset cannot block the page's own script.
    assert "<script src" not in page and "<link" not in page


def test_configured_assets(test_client_factory: TestClientFactory) -> None:
    graphql_app = GraphQLApp(SCHEMA, graphiql_assets=SELF_SERVED)
    assert graphql_app.graphiql_assets == SELF_SERVED
    page = graphiql_page(test_client_factory, graphql_app)
    assert assets_in(page) == SELF_SERVED
    for url in SELF_SERVED.values():
        assert f'"{url}"' in page
    assert "unpkg.com" not in page


def test_some_assets_configured(test_client_factory: TestClientFactory) -> None:
    assets = {"graphiql.js": "/graphiql.js", "graphiql.css": "/graphiql.css"}
    graphql_app = GraphQLApp(SCHEMA, graphiql_assets=assets)
    expected = {**UNPKG, **assets}
    assert graphql_app.graphiql_assets == expected
    assert assets_in(graphiql_page(test_client_factory, graphql_app)) == expected
    assets["graphiql.js"] = "/changed-later.js"  # the app keeps its own copy
    assert graphql_app.graphiql_assets["graphiql.js"] == "/graphiql.js"


def test_asset_urls_cannot_break_out_of_the_script(test_client_factory: TestClientFactory) -> None:
    hostile = '/x.js?a=1&b=</script><script>alert("x")</script><!--'
    page = graphiql_page(test_client_factory, GraphQLApp(SCHEMA, graphiql_assets={"react.js": hostile}))
    assert "</script><script>alert" not in page
    assert "<!--" not in page
    assert assets_in(page)["react.js"] == hostile  # the same URL, once the script reads it


def test_load_timeout(test_client_factory: TestClientFactory) -> None:
    assert GraphQLApp.graphiql_load_timeout == 10.0
    graphql_app = GraphQLApp(SCHEMA)
    graphql_app.graphiql_load_timeout = 0.25
    assert "const loadTimeout = 250;" in graphiql_page(test_client_factory, graphql_app)


@pytest.mark.parametrize(
    ("assets", "message"),
    [
        ({"react": "/react.js"}, "graphiql_assets: unknown key 'react'"),
        ({"graphiql.js": ""}, "graphiql_assets['graphiql.js'] must be a non-empty string, got ''"),
        ({"graphiql.css": None}, "graphiql_assets['graphiql.css'] must be a non-empty string, got None"),
    ],
)
def test_invalid_assets(assets: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        GraphQLApp(SCHEMA, graphiql_assets=assets)
    if "unknown key" in message:
        assert "react.js, react-dom.js, graphiql.js, graphiql.css" in str(raised.value)
