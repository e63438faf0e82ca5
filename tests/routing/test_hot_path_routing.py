"""The router's request path after the hot-path work (issue 21): matching in ``Router.app``'s own frame, the
route index's staleness checked in ``_RouteList.candidates``, ``Route._match_own_path`` and ``Route.handle``
doing their method checks in one frame. Each behaviour here is what a linear scan over ``route.matches()``
gives, and the index's answers are compared message by message with a plain list's (which is scanned whole)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_routing.applications import Starlette
from starlette_routing.routing import Match, Mount, Route, Router

TestClientFactory = Callable[..., Any]


def answer(text: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{text} {request.method} {sorted(request.path_params.items())}")

    endpoint.__name__ = text
    return endpoint


class ASGIApp:
    """An ASGI app as a route's endpoint: the route takes any method."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(f"asgi {scope['method']}")(scope, receive, send)


def make_routes() -> list[Any]:
    return [
        Route("/post-only", answer("post-only"), methods=["POST"]),
        Route("/both", answer("first-post"), methods=["POST"]),
        Route("/both", answer("then-get")),
        Route("/any", ASGIApp()),
        Route("/items/{id:int}", answer("item")),
        Mount("/users/{user}", routes=[Route("/", answer("user-home")), Route("/profile", answer("profile"))]),
    ]


REQUESTS = [
    ("GET", "/post-only"),
    ("POST", "/post-only"),
    ("GET", "/both"),
    ("POST", "/both"),
    ("DELETE", "/both"),
    ("PATCH", "/any"),
    ("GET", "/any"),
    ("GET", "/items/3"),
    ("PUT", "/items/3"),
    ("GET", "/users/ann/profile"),
    ("POST", "/users/ann/profile"),
    ("GET", "/users/ann/"),
    ("GET", "/nowhere"),
    ("GET", "/post-only/"),
]


async def run(app: Any, method: str, path: str) -> list[Message]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "server": ("example.com", 80),
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


@pytest.mark.anyio
@pytest.mark.parametrize("in_app", [False, True])
async def test_the_index_answers_every_request_as_the_whole_scan_does(in_app: bool) -> None:
    indexed = Router(routes=make_routes())
    scanned = Router(routes=make_routes())
    scanned.routes = list(scanned.routes)  # a plain list: no index, every route is asked
    indexed_app: Any = Starlette(routes=indexed.routes) if in_app else indexed
    scanned_app: Any = Starlette(routes=scanned.routes) if in_app else scanned
    if in_app:
        scanned_app.router.routes = list(scanned_app.router.routes)
    for method, path in REQUESTS:
        with_index = await run(indexed_app, method, path)
        whole_scan = await run(scanned_app, method, path)
        assert with_index == whole_scan, (method, path)
    # (Some answers, to show the requests above mean what they say.)
    assert (await run(indexed_app, "GET", "/both"))[1]["body"] == b"then-get GET []"
    assert (await run(indexed_app, "DELETE", "/both"))[0]["status"] == 405
    assert (await run(indexed_app, "PATCH", "/any"))[1]["body"] == b"asgi PATCH"
    assert (await run(indexed_app, "GET", "/users/ann/profile"))[1]["body"] == b"profile GET [('user', 'ann')]"


def test_a_static_route_takes_the_params_of_the_mounts_around_it(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Mount("/orgs/{org}", routes=[Mount("/teams/{team:int}", routes=make_routes())])])
    client = test_client_factory(app)
    response = client.get("/orgs/acme/teams/7/both")
    assert response.text == "then-get GET [('org', 'acme'), ('team', 7)]"
    # The mounts' params are copied for the route, not shared with the scope the mounts made.
    response = client.post("/orgs/acme/teams/7/both")
    assert response.text == "first-post POST [('org', 'acme'), ('team', 7)]"


def test_a_method_the_static_route_does_not_take(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=make_routes())
    response = test_client_factory(app).get("/post-only")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.text == "Method Not Allowed"
    # Outside an application (no exception handlers): the same answer, built by the route.
    response = test_client_factory(Router(routes=make_routes())).put("/both")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"  # the first route that matched partially answers


def test_matches_patched_on_the_class_after_requests_is_used(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Starlette(routes=make_routes())
    client = test_client_factory(app)
    assert client.get("/both").text == "then-get GET []"
    original = Route.matches

    def only_post_routes(self: Route, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = original(self, scope)
        if self.methods is not None and "POST" not in self.methods:
            return Match.NONE, {}
        return match, child_scope

    monkeypatch.setattr(Route, "matches", only_post_routes)
    # The GET route no longer matches: the first POST route matches partially, hence 405.
    assert client.get("/both").status_code == 405
    monkeypatch.undo()
    assert client.get("/both").text == "then-get GET []"


def test_handle_patched_on_the_class_after_requests_is_used(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Starlette(routes=make_routes())
    client = test_client_factory(app)
    assert client.get("/both").text == "then-get GET []"
    seen: list[str] = []
    original = Route.handle

    async def handle(self: Route, scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(self.path)
        await original(self, scope, receive, send)

    monkeypatch.setattr(Route, "handle", handle)
    assert client.get("/both").text == "then-get GET []"
    assert client.get("/post-only").status_code == 405  # a partial match is handled by the route too
    assert seen == ["/both", "/post-only"]


def test_methods_edited_on_a_route_after_requests(test_client_factory: TestClientFactory) -> None:
    route = Route("/edit", answer("edit"))
    client = test_client_factory(Starlette(routes=[route]))
    assert client.post("/edit").status_code == 405
    route.methods = {"GET", "POST"}
    assert client.post("/edit").text == "edit POST []"
    route.methods = None
    assert client.delete("/edit").text == "edit DELETE []"


def test_routes_replaced_by_a_plain_list_after_requests(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=make_routes())
    client = test_client_factory(app)
    assert client.get("/both").text == "then-get GET []"
    app.router.routes = [Route("/both", answer("replaced"))]
    assert client.get("/both").text == "replaced GET []"
    assert client.post("/both").status_code == 405
