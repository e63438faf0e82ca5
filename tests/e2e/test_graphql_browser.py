"""GraphiQL in a real browser: the showcase's GraphQL page (examples/showcase), and sites serving its assets.

The apps run under a real server on loopback, in Debian's headless Chromium driven by selenium, with the fixtures of
tests/e2e/test_showcase_browser.py. The machine has no route to the internet, so GraphiQL's CDN cannot be reached:
the page must say so rather than stay on "Loading GraphiQL...".
"""

from __future__ import annotations

import anyio
from graphql import build_schema
from selenium import webdriver
from selenium.webdriver.common.by import By

from starlette.applications import Starlette
from starlette.graphql import GraphQLApp
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from tests.e2e import test_showcase_browser
from tests.e2e.servers import LiveServer, serve
from tests.e2e.test_showcase_browser import text_of, wait_for, wait_for_text

# The showcase tests' fixtures, used here too: a Chromium of this module's own, its window and the served showcase.
browser = test_showcase_browser.browser
window = test_showcase_browser.window
fresh_items = test_showcase_browser.fresh_items
site = test_showcase_browser.site

OFFLINE_MESSAGE = "GraphiQL could not load"
SLOW_MESSAGE = "GraphiQL is taking too long to load"


def graphiql_headline(driver: webdriver.Chrome) -> str:
    headlines = driver.find_elements(By.CSS_SELECTOR, "#graphiql-status h1")
    return headlines[0].text if headlines else ""


def test_graphiql_without_the_cdn_says_so(window: webdriver.Chrome, site: LiveServer) -> None:
    window.get(f"{site.url}/graphql/")
    # The machine has no route to the CDN: each asset fails at once, or else the page's timeout (10 s) speaks.
    wait_for(window, lambda: graphiql_headline(window) in (OFFLINE_MESSAGE, SLOW_MESSAGE), "still loading")
    status = text_of(window, "graphiql-status")
    assert "https://unpkg.com/graphiql@3/graphiql.min" in status
    assert "graphiql_assets" in status
    assert "Loading GraphiQL..." not in status
    assert window.find_element(By.ID, "graphiql-status").get_attribute("role") == "alert"


# Stand-ins for React, ReactDOM and GraphiQL: "rendering" notes what the page showed until then, runs the page's
# fetcher and shows the result.
FAKE_ASSETS = {
    "react.js": "window.loadOrder = ['react']; window.React = { createElement: (type, props) => ({ type, props }) };",
    "react-dom.js": """
        window.loadOrder.push('react-dom');
        window.ReactDOM = { createRoot: (root) => ({ render: async (element) => {
            window.shownBefore = root.textContent;
            const result = await element.props.fetcher({ query: '{ hello }' });
            root.textContent = element.type.title + ': ' + JSON.stringify(result);
        } }) };""",
    "graphiql.js": "window.loadOrder.push('graphiql'); window.GraphiQL = { title: 'stand-in GraphiQL' };",
    "graphiql.css": "#graphiql { color: rgb(1, 2, 3); }",
}


def graphiql_site(delay: float = 0.0, assets: dict[str, str] | None = None, load_timeout: float = 60.0) -> Starlette:
    """A GraphQLApp whose GraphiQL assets this site serves itself (after ``delay`` seconds), under /assets/.

    ``load_timeout`` is the page's wait before it says the assets are slow: long by default, so that a busy machine
    never shows that message where a test expects the assets to arrive in time.
    """

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        await anyio.sleep(delay)
        media_type = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(FAKE_ASSETS[name], media_type=media_type)

    urls = {name: f"/assets/{name}" for name in FAKE_ASSETS}
    graphql_app = GraphQLApp(
        build_schema("type Query { hello: String }"),
        root_value={"hello": "from the server"},
        graphiql_assets={**urls, **(assets or {})},
    )
    graphql_app.graphiql_load_timeout = load_timeout
    return Starlette(routes=[Route("/assets/{name}", asset), Mount("/graphql", graphql_app)])


def test_graphiql_with_its_assets_served_by_the_site(window: webdriver.Chrome) -> None:
    with serve("uvicorn-h11", graphiql_site()) as server:
        window.get(f"{server.url}/graphql/")
        expected = 'stand-in GraphiQL: {"data":{"hello":"from the server"}}'
        wait_for_text(window, "graphiql", expected)
        assert window.execute_script("return window.shownBefore;") == "Loading GraphiQL..."
        assert window.execute_script("return window.loadOrder;") == ["react", "react-dom", "graphiql"]
        color = window.execute_script("return getComputedStyle(document.getElementById('graphiql')).color;")
        assert color == "rgb(1, 2, 3)"  # the stylesheet applied
        window.get("about:blank")


def test_graphiql_with_a_missing_asset_says_which(window: webdriver.Chrome) -> None:
    with serve("uvicorn-h11", graphiql_site(assets={"react-dom.js": "/nowhere/react-dom.js"})) as server:
        window.get(f"{server.url}/graphql/")
        wait_for(window, lambda: graphiql_headline(window) == OFFLINE_MESSAGE, "no message")
        assert "could not fetch /nowhere/react-dom.js" in text_of(window, "graphiql-status")
        window.get("about:blank")


def test_graphiql_says_when_its_assets_are_slow_then_starts(window: webdriver.Chrome) -> None:
    with serve("uvicorn-h11", graphiql_site(delay=2.0, load_timeout=0.5)) as server:
        window.get(f"{server.url}/graphql/")  # returns after the load event, so once the assets arrived
        # They did, after all: GraphiQL started in place of the message shown meanwhile.
        wait_for_text(window, "graphiql", 'stand-in GraphiQL: {"data":{"hello":"from the server"}}')
        shown_before = window.execute_script("return window.shownBefore;")
        assert shown_before.startswith(SLOW_MESSAGE)
        assert "have not arrived after 0.5 seconds" in shown_before
        window.get("about:blank")
