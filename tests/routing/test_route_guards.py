"""Routes that decide for themselves: guards, edited route lists, edited routes, patched route classes.

Upstream's Router is a first-match scan: for every request it asks each route of ``router.routes``, in order,
``route.matches(scope)``, hands the request to the first full match (else the first partial match), and only then
tries the redirect to the other trailing-slash form and the default 404. Whatever the router keeps to go faster,
it must answer as that scan does, including for route classes it knows nothing about, for routes edited after
the first request and for route classes patched after the first request.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_routing.applications import Starlette
from starlette_routing.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute, compile_path
from starlette_routing.staticfiles import StaticFiles

TestClientFactory = Callable[..., Any]

GUARDED = ["/internal", "/internal/secret.txt", "/internal/x/y", "/internal-notes.txt"]


def answer(text: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(text)

    endpoint.__name__ = text.replace(" ", "_")
    return endpoint


async def forbidden(request: Request) -> Response:
    return PlainTextResponse("Forbidden", status_code=403)


async def forbidden_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("Forbidden", status_code=403)(scope, receive, send)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A static directory with a secret under /internal, and public files."""
    (tmp_path / "internal" / "x").mkdir(parents=True)
    (tmp_path / "internal" / "secret.txt").write_text("the secret")
    (tmp_path / "internal" / "x" / "y").write_text("deep secret")
    (tmp_path / "internal" / "index.html").write_text("internal index")
    (tmp_path / "internal-notes.txt").write_text("notes")
    (tmp_path / "public.txt").write_text("public")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.txt").write_text("guide")
    return tmp_path


def claims_internal(scope: Scope) -> bool:
    return str(scope["path"]).startswith("/internal")


class PrefixGuard(Route):
    """A Route that claims every HTTP path under /internal (by string prefix), whatever its own path says."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and claims_internal(scope):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}


class MountGuard(Mount):
    """A Mount that claims every HTTP path under /internal (by string prefix)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and claims_internal(scope):
            return Match.FULL, {"endpoint": self.app, "path_params": {}}
        return Match.NONE, {}


class HostGuard(Host):
    """A Host that, besides its own host, claims every HTTP path under /internal on any host."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and claims_internal(scope):
            return Match.FULL, {"endpoint": self.app, "path_params": {}}
        return super().matches(scope)


class DenyInternal(BaseRoute):
    """A route of its own kind: matches() and handle() written from scratch."""

    def __init__(self) -> None:
        self.handled: list[str] = []

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and claims_internal(scope):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.handled.append(scope["path"])
        await forbidden_app(scope, receive, send)


def assert_guarded_site(client: Any) -> None:
    for path in GUARDED:
        response = client.get(path)
        assert (response.status_code, response.text) == (403, "Forbidden"), path
    assert client.get("/public.txt").text == "public"
    assert client.get("/docs/guide.txt").text == "guide"
    assert client.get("/missing.txt").status_code == 404


@pytest.mark.parametrize("declared", ["/internal", "/guard", "/internal/{rest:path}", "/{section}/admin"])
def test_route_subclass_guard_before_static_mount(
    test_client_factory: TestClientFactory, site: Path, declared: str
) -> None:
    """Upstream asks PrefixGuard.matches() for every request (it comes first), so the guard answers 403 for
    every path it claims, whatever path it was declared with; other paths fall through to the static files.
    """
    app = Starlette(routes=[PrefixGuard(declared, forbidden), Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert_guarded_site(client)


@pytest.mark.parametrize("declared", ["/internal", "/guard", ""])
def test_mount_subclass_guard_before_static_mount(
    test_client_factory: TestClientFactory, site: Path, declared: str
) -> None:
    """Upstream asks MountGuard.matches() for every request: the guard's app answers 403 for /internal,
    /internal-notes.txt and everything below /internal, even though a plain Mount at its path would not match them.
    """
    app = Starlette(routes=[MountGuard(declared, app=forbidden_app), Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert_guarded_site(client)


def test_route_subclass_guard_after_first_request(test_client_factory: TestClientFactory, site: Path) -> None:
    """Upstream scans the current list on every request: a guard inserted first after requests were served
    takes over the paths it claims from then on.
    """
    app = Starlette(routes=[Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert client.get("/internal/secret.txt").text == "the secret"
    app.router.routes.insert(0, PrefixGuard("/internal", forbidden))
    assert_guarded_site(client)


def test_custom_base_route_guard_before_static_mount(test_client_factory: TestClientFactory, site: Path) -> None:
    """Upstream calls the custom route's matches() for every request and its own handle() when it matches."""
    guard = DenyInternal()
    app = Starlette(routes=[guard, Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert_guarded_site(client)
    assert guard.handled == GUARDED


def test_host_subclass_guard_before_static_mount(test_client_factory: TestClientFactory, site: Path) -> None:
    """Upstream calls HostGuard.matches() for every request and hands what it claims to its app: /internal...
    reaches the admin app (which refuses it) on every host, its own host is served by that app, other hosts reach
    the static files.
    """
    admin = Router([Route("/public.txt", answer("admin public")), Route("/{path:path}", forbidden)])
    app = Starlette(routes=[HostGuard("admin.example.org", app=admin), Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert_guarded_site(client)
    assert client.get("http://admin.example.org/public.txt").text == "admin public"
    assert client.get("http://admin.example.org/internal/secret.txt").status_code == 403


class WebSocketGuard(WebSocketRoute):
    """A WebSocketRoute that claims every websocket path under /internal (by string prefix)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "websocket" and claims_internal(scope):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}


async def refuse(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("refused")
    await websocket.close(code=1008)


async def chat(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("chat " + websocket.path_params["rest"])
    await websocket.close()


@pytest.mark.parametrize("declared", ["/internal", "/guard", "/internal/{rest:path}"])
def test_websocket_route_subclass_guard(test_client_factory: TestClientFactory, site: Path, declared: str) -> None:
    """Upstream asks WebSocketGuard.matches() for every websocket request: the guard answers every websocket
    under /internal; other websockets reach the catch-all, and HTTP requests still reach the static files.
    """
    app = Starlette(
        routes=[
            WebSocketGuard(declared, refuse),
            WebSocketRoute("/{rest:path}", chat),
            Mount("/", StaticFiles(directory=site)),
        ]
    )
    client = test_client_factory(app)
    for path in ["/internal", "/internal/chat", "/internal/x/y", "/internal-room"]:
        with client.websocket_connect(path) as websocket:
            assert websocket.receive_text() == "refused", path
            with pytest.raises(WebSocketDisconnect) as info:
                websocket.receive_text()
            assert info.value.code == 1008
    with client.websocket_connect("/lobby") as websocket:
        assert websocket.receive_text() == "chat lobby"
    assert client.get("/internal/secret.txt").text == "the secret"  # the guard only claims websockets


# ------------------------------------------------------------------------------------------------------------
# The route list, edited after the first request


def edit_append(routes: list[BaseRoute]) -> None:
    routes.append(Route("/x/y", answer("x/y")))
    routes.append(Route("/a", answer("late a")))


def edit_insert(routes: list[BaseRoute]) -> None:
    routes.insert(0, Route("/a", answer("inserted a")))
    routes.insert(1, Route("/x/y", answer("x/y")))


def edit_remove(routes: list[BaseRoute]) -> None:
    routes.remove(routes[0])
    routes.append(Route("/x/y", answer("x/y")))


def edit_pop(routes: list[BaseRoute]) -> None:
    routes.pop(0)
    routes.extend([Route("/x/y", answer("x/y"))])


def edit_setitem(routes: list[BaseRoute]) -> None:
    routes[0] = Route("/x/y", answer("x/y"))


def edit_slice(routes: list[BaseRoute]) -> None:
    routes[0:1] = [Route("/x/y", answer("x/y")), Route("/a", answer("sliced a"))]


def edit_all(routes: list[BaseRoute]) -> None:
    routes[:] = [Route("/x/y", answer("x/y")), *routes[1:]]


def edit_delete(routes: list[BaseRoute]) -> None:
    del routes[0]
    routes += [Route("/x/y", answer("x/y"))]


def edit_reverse(routes: list[BaseRoute]) -> None:
    routes.extend([Route("/x/y", answer("x/y")), Route("/a", answer("reversed a"))])
    routes.reverse()


def edit_sort(routes: list[BaseRoute]) -> None:
    routes.append(Route("/{first}/{second}", answer("x/y")))
    routes.sort(key=lambda route: -len(getattr(route, "path", "")))


def edit_clear(routes: list[BaseRoute]) -> None:
    routes.clear()
    routes.append(Route("/{first}/{second}", answer("x/y")))


# What /a answers after each edit (/x/y answers "x/y" after every one of them).
LIST_EDITS: list[tuple[Callable[[list[BaseRoute]], None], tuple[int, str]]] = [
    (edit_append, (200, "a")),
    (edit_insert, (200, "inserted a")),
    (edit_remove, (200, "catch-all a")),
    (edit_pop, (200, "catch-all a")),
    (edit_setitem, (200, "catch-all a")),
    (edit_slice, (200, "sliced a")),
    (edit_all, (200, "catch-all a")),
    (edit_delete, (200, "catch-all a")),
    (edit_reverse, (200, "reversed a")),
    (edit_sort, (200, "catch-all a")),
    (edit_clear, (404, "Not Found")),
]


@pytest.mark.parametrize(("edit", "expected_a"), LIST_EDITS, ids=[edit.__name__ for edit, _ in LIST_EDITS])
def test_route_list_edited_after_first_request(
    test_client_factory: TestClientFactory, edit: Callable[[list[BaseRoute]], None], expected_a: tuple[int, str]
) -> None:
    """Upstream iterates ``router.routes`` anew on every request, so any edit of the list is seen by the next
    request: the route added for /x/y answers it, and /a is answered by whichever route now comes first for it.
    """

    async def catch_all(request: Request) -> Response:
        return PlainTextResponse("catch-all " + request.path_params["name"])

    app = Starlette(routes=[Route("/a", answer("a")), Route("/{name}", catch_all)])
    client = test_client_factory(app)
    assert client.get("/a").text == "a"
    assert client.get("/b").text == "catch-all b"
    assert client.get("/x/y").status_code == 404
    edit(app.router.routes)
    response = client.get("/a")
    assert (response.status_code, response.text) == expected_a
    assert client.get("/x/y").text == "x/y"


def test_routes_attribute_replaced_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream reads ``self.routes`` on every request: a list assigned to ``router.routes`` (or to a mounted
    router's ``routes``) replaces the old one for the next request.
    """
    inner = Router([Route("/x", answer("inner x"))])
    app = Starlette(routes=[Route("/a", answer("a")), Mount("/m", app=inner)])
    client = test_client_factory(app)
    assert client.get("/a").text == "a"
    assert client.get("/m/x").text == "inner x"
    app.router.routes = [Route("/b", answer("b")), Mount("/m", app=inner)]
    inner.routes = [Route("/y", answer("inner y"))]
    assert client.get("/a").status_code == 404
    assert client.get("/b").text == "b"
    assert client.get("/m/x").status_code == 404
    assert client.get("/m/y").text == "inner y"
    inner.routes.append(Route("/x", answer("inner x again")))
    assert client.get("/m/x").text == "inner x again"


# ------------------------------------------------------------------------------------------------------------
# Routes edited in place after the first request


def test_route_path_edited_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream's Route.matches() reads ``path_regex`` and ``param_convertors`` on every call: after they are
    recompiled for another path, the route answers the new path (with its parameters) and not the old one.
    """

    async def show(request: Request) -> Response:
        return PlainTextResponse(f"show {request.path_params}")

    moved = Route("/old", show)
    app = Starlette(routes=[moved, Route("/other/{n:int}", answer("other"))])
    client = test_client_factory(app)
    assert client.get("/old").text == "show {}"
    assert client.get("/other/1").text == "other"

    moved.path = "/other/{n:int}"
    moved.path_regex, moved.path_format, moved.param_convertors = compile_path(moved.path)
    assert client.get("/old").status_code == 404
    assert client.get("/other/1").text == "show {'n': 1}"

    moved.path = "/static/new"
    moved.path_regex, moved.path_format, moved.param_convertors = compile_path(moved.path)
    assert client.get("/static/new").text == "show {}"
    assert client.get("/other/1").text == "other"


def test_route_regex_edited_alone_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream matches with ``path_regex`` only (``path`` is for URL building): a route whose regex is
    replaced after the first request matches what the new regex matches, even though ``path`` still says "/a".
    """
    loose = Route("/a", answer("loose"))
    app = Starlette(routes=[loose, Route("/b", answer("b"))])
    client = test_client_factory(app)
    assert client.get("/a").text == "loose"
    assert client.get("/b").text == "b"
    loose.path_regex = re.compile("^/[ab]$")
    assert client.get("/a").text == "loose"
    assert client.get("/b").text == "loose"
    loose.path_regex = re.compile("^/nothing$")
    assert client.get("/a").status_code == 404
    assert client.get("/nothing").text == "loose"


def test_route_methods_edited_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream reads ``route.methods`` in matches() and handle() on every request: after the edit, GET is a
    partial match (405 with the new Allow), POST a full one; ``methods = None`` accepts every method.
    """
    route = Route("/a", answer("a"))
    app = Starlette(routes=[route, Route("/{name}", answer("fallback"), methods=["POST"])])
    client = test_client_factory(app)
    assert client.get("/a").text == "a"
    assert client.post("/a").text == "fallback"

    route.methods = {"PUT"}
    response = client.get("/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "PUT"
    assert client.put("/a").text == "a"
    assert client.post("/a").text == "fallback"  # a full match later wins over the partial one

    route.methods = None
    assert client.delete("/a").text == "a"
    assert client.post("/a").text == "a"


def test_route_app_edited_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream's Route.handle() awaits ``self.app`` (built from the endpoint at construction): replacing
    ``route.app`` changes the answer, replacing ``route.endpoint`` alone only changes ``scope["endpoint"]``.
    """

    async def named(request: Request) -> Response:
        return PlainTextResponse(getattr(request.scope["endpoint"], "__name__", "?"))

    route = Route("/a", named)
    app = Starlette(routes=[route])
    client = test_client_factory(app)
    assert client.get("/a").text == "named"
    route.endpoint = answer("replacement endpoint")
    assert client.get("/a").text == "replacement_endpoint"
    route.app = forbidden_app
    assert client.get("/a").status_code == 403


def test_mount_and_websocket_paths_edited_after_first_request(test_client_factory: TestClientFactory) -> None:
    """Upstream's Mount.matches() and WebSocketRoute.matches() read their compiled path on every call: the
    edited mount and websocket route answer at their new paths only.
    """

    async def hello(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    mount = Mount("/m", routes=[Route("/x", answer("mounted x"))])
    socket = WebSocketRoute("/ws", hello)
    app = Starlette(routes=[mount, socket])
    client = test_client_factory(app)
    assert client.get("/m/x").text == "mounted x"
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hello"

    mount.path = "/moved"
    mount.path_regex, mount.path_format, mount.param_convertors = compile_path("/moved/{path:path}")
    socket.path = "/sockets/{room}"
    socket.path_regex, socket.path_format, socket.param_convertors = compile_path(socket.path)
    assert client.get("/m/x").status_code == 404
    assert client.get("/moved/x").text == "mounted x"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass  # pragma: no cover - the connection is refused
    with client.websocket_connect("/sockets/lobby") as websocket:
        assert websocket.receive_text() == "hello"


# ------------------------------------------------------------------------------------------------------------
# Route classes patched after the first request


def test_route_matches_patched_after_first_request(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upstream looks ``matches`` up on the route for every request: a class-level patch of Route.matches made
    after requests were served decides from the next request on (here: Routes refuse /blocked, so the request
    falls through to the mount, and refuse /items/2 so it falls through to the next route).
    """
    original = Route.matches

    def refusing(self: Route, scope: Scope) -> tuple[Match, Scope]:
        if scope["path"] in ("/blocked", "/items/2"):
            return Match.NONE, {}
        return original(self, scope)

    app = Starlette(
        routes=[
            Route("/blocked", answer("blocked")),
            Route("/items/{n:int}", answer("item")),
            Route("/items/2", answer("item two")),
            Mount("", app=forbidden_app),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/blocked").text == "blocked"
    assert client.get("/items/2").text == "item"
    monkeypatch.setattr(Route, "matches", refusing)
    assert client.get("/blocked").status_code == 403
    assert client.get("/items/2").status_code == 403
    assert client.get("/items/3").text == "item"
    monkeypatch.undo()
    assert client.get("/blocked").text == "blocked"


def test_mount_matches_patched_after_first_request(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upstream looks ``matches`` up on the mount for every request: a class-level patch of Mount.matches made
    after requests were served is honoured (here: mounts refuse everything, so the later route answers).
    """

    def never(self: Mount, scope: Scope) -> tuple[Match, Scope]:
        return Match.NONE, {}

    app = Starlette(routes=[Mount("/m", routes=[Route("/x", answer("mounted"))]), Route("/m/x", answer("route"))])
    client = test_client_factory(app)
    assert client.get("/m/x").text == "mounted"
    monkeypatch.setattr(Mount, "matches", never)
    assert client.get("/m/x").text == "route"


def test_route_handle_patched_after_first_request(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upstream awaits ``route.handle(...)`` for the route that matched: a class-level patch of Route.handle made
    after requests were served is called, for static and for parameterised paths, with the matched route.
    """
    calls: list[str] = []
    original = Route.handle

    async def tracing(self: Route, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(self.path)
        await original(self, scope, receive, send)

    app = Starlette(routes=[Route("/a", answer("a")), Route("/items/{n:int}", answer("item"))])
    client = test_client_factory(app)
    assert client.get("/a").text == "a"
    assert client.get("/items/1").text == "item"
    monkeypatch.setattr(Route, "handle", tracing)
    assert client.get("/a").text == "a"
    assert client.get("/items/1").text == "item"
    assert client.post("/a").status_code == 405
    assert calls == ["/a", "/items/{n:int}", "/a"]


# ------------------------------------------------------------------------------------------------------------
# Routes changed on the instance, or matching more than their path says


def test_route_matches_replaced_on_the_instance(test_client_factory: TestClientFactory) -> None:
    """Upstream calls ``route.matches(scope)``, so a function assigned to one route's ``matches`` decides for that
    route, whether it was assigned before or after the first request: here the "/a" route is made to claim every
    path under /a, then to refuse everything (the catch-all answers).
    """
    claimed = Route("/a", answer("claimed"))
    original = claimed.matches

    def claim_prefix(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and str(scope["path"]).startswith("/a"):
            return Match.FULL, {"endpoint": claimed.endpoint, "path_params": {}}
        return original(scope)

    app = Starlette(routes=[claimed, Route("/{path:path}", answer("catch-all"))])
    client = test_client_factory(app)
    assert client.get("/a").text == "claimed"
    assert client.get("/a/b").text == "catch-all"

    claimed.matches = claim_prefix  # type: ignore[method-assign]
    assert client.get("/a/b").text == "claimed"
    assert client.get("/abc").text == "claimed"
    assert client.get("/b").text == "catch-all"

    claimed.matches = lambda scope: (Match.NONE, {})  # type: ignore[method-assign]
    assert client.get("/a").text == "catch-all"


def test_route_handle_replaced_on_the_instance(test_client_factory: TestClientFactory) -> None:
    """Upstream awaits ``route.handle(...)``: a function assigned to one route's ``handle`` answers for it."""
    route = Route("/a", answer("a"))
    app = Starlette(routes=[route])
    client = test_client_factory(app)
    assert client.get("/a").text == "a"
    route.handle = forbidden_app  # type: ignore[method-assign]
    assert client.get("/a").status_code == 403


def test_route_class_swapped_after_first_request(test_client_factory: TestClientFactory, site: Path) -> None:
    """Upstream looks ``matches`` up on the route's class for every request: a route whose ``__class__`` becomes
    a guard subclass after requests were served is consulted as the guard from then on.
    """
    route = Route("/internal", forbidden)
    app = Starlette(routes=[route, Mount("/", StaticFiles(directory=site))])
    client = test_client_factory(app)
    assert client.get("/internal").status_code == 403
    assert client.get("/internal/secret.txt").text == "the secret"
    route.__class__ = PrefixGuard
    assert_guarded_site(client)


@pytest.mark.parametrize("edited_after_first_request", [False, True])
def test_case_insensitive_path_regex(test_client_factory: TestClientFactory, edited_after_first_request: bool) -> None:
    """Upstream matches with ``path_regex`` alone, so recompiling it with ``re.IGNORECASE`` (the same pattern
    text, other flags) makes the route and the mount answer paths in any case.
    """
    items = Route("/items", answer("items"))
    docs = Mount("/docs", routes=[Route("/guide", answer("guide"))])
    app = Starlette(routes=[items, docs, Route("/{other}", answer("other"))])
    client = test_client_factory(app)

    def ignore_case() -> None:
        items.path_regex = re.compile(items.path_regex.pattern, re.IGNORECASE)
        docs.path_regex = re.compile(docs.path_regex.pattern, re.IGNORECASE)

    if not edited_after_first_request:
        ignore_case()
    assert client.get("/items").text == "items"
    assert client.get("/docs/guide").text == "guide"
    if edited_after_first_request:
        assert client.get("/ITEMS").text == "other"
        ignore_case()
    assert client.get("/ITEMS").text == "items"
    assert client.get("/Items").text == "items"
    assert client.get("/DOCS/guide").text == "guide"


def test_path_with_a_final_newline(test_client_factory: TestClientFactory) -> None:
    """Upstream's patterns end in "$", which also matches before a final newline: "/admin%0A" (the path
    "/admin\\n" once decoded) is answered by the "/admin" route, as upstream's scan does.
    """

    async def show(request: Request) -> Response:
        return PlainTextResponse(repr(request.path_params))

    app = Starlette(routes=[Route("/admin", answer("admin")), Route("/users/{name}", show)])
    client = test_client_factory(app)
    assert client.get("/admin").text == "admin"
    assert client.get("/admin%0A").text == "admin"
    assert client.get("/users/ada%0A").text == repr({"name": "ada\n"})
