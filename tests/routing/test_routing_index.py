"""The compiled route index: static paths by dict, dynamic ones by first segment, first match wins as in a scan."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_routing import convertors
from starlette_routing.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute

TestClientFactory = Callable[..., Any]


def answer(text: str) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        return PlainTextResponse(text)

    endpoint.__name__ = text
    return endpoint


async def ws_hello(session: WebSocket) -> None:
    await session.accept()
    await session.send_text("ws")
    await session.close()


class CountingRoute(Route):
    """A Route whose matches() counts its calls (and is therefore called by the router, not bypassed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        self.calls += 1
        return super().matches(scope)


def test_earlier_dynamic_route_beats_later_static_route(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/users/{name}", answer("dynamic")),
            Route("/users/me", answer("static")),
            Route("/{section}/list", answer("wild")),
            Route("/pages/list", answer("static-after-wild")),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/users/me").text == "dynamic"
    assert client.get("/users/ada").text == "dynamic"
    assert client.get("/pages/list").text == "wild"


def test_earlier_static_route_beats_later_dynamic_route(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/users/me", answer("static")), Route("/users/{name}", answer("dynamic"))])
    client = test_client_factory(router)
    assert client.get("/users/me").text == "static"
    assert client.get("/users/ada").text == "dynamic"


def test_earlier_mount_beats_later_static_route(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Mount("/docs", routes=[Route("/index", answer("mounted"))]),
            Route("/docs/index", answer("static")),
            Route("/docs/other", answer("static other")),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/docs/index").text == "mounted"
    # The mount matches "/docs/..." fully: its own router answers 404 for what it lacks.
    assert client.get("/docs/other").status_code == 404


def test_routes_that_can_match_anything_keep_their_place(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/a", answer("a")),
            Route("/{anything:path}", answer("catch-all"), methods=["POST"]),
            Route("/b", answer("b"), methods=["POST"]),
            Route("/c{suffix}", answer("c-prefixed")),  # no complete first segment: can match many paths
            Route("/cx", answer("cx")),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/a").text == "a"
    assert client.post("/b").text == "catch-all"
    assert client.get("/b").status_code == 405  # the catch-all is the first partial match
    assert client.get("/cx").text == "c-prefixed"


def test_routes_added_later_are_matched(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/", answer("home"))])
    client = test_client_factory(router)
    assert client.get("/late").status_code == 404  # builds the index

    router.add_route("/late", answer("late"))
    assert client.get("/late").text == "late"

    router.routes.append(Route("/appended", answer("appended")))
    assert client.get("/appended").text == "appended"

    router.routes.insert(0, Route("/late", answer("inserted first")))
    assert client.get("/late").text == "inserted first"

    router.routes[0] = Route("/late", answer("replaced"))
    assert client.get("/late").text == "replaced"

    del router.routes[0]
    assert client.get("/late").text == "late"

    router.routes.extend([Route("/x1", answer("x1"))])
    router.routes += [Route("/x2", answer("x2"))]
    assert client.get("/x1").text == "x1"
    assert client.get("/x2").text == "x2"

    removed = router.routes.pop()
    assert client.get("/x2").status_code == 404
    router.routes.append(removed)
    router.routes.remove(removed)
    assert client.get("/x2").status_code == 404

    router.routes.reverse()
    router.routes.sort(key=lambda route: getattr(route, "path", ""))
    assert client.get("/x1").text == "x1"

    router.routes *= 2
    assert client.get("/appended").text == "appended"
    assert len(router.routes) == 8

    router.routes.clear()
    assert client.get("/").status_code == 404

    router.mount("/m", app=Router([Route("/x", answer("mounted"))]))
    router.host("example.org", app=Router([Route("/h", answer("hosted"))]))
    assert client.get("/m/x").text == "mounted"
    assert client.get("http://example.org/h").text == "hosted"


def test_routes_can_be_replaced(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/", answer("home"))])
    client = test_client_factory(router)
    assert client.get("/").text == "home"
    router.routes = [Route("/", answer("new home"))]
    assert client.get("/").text == "new home"
    other = Router([Route("/", answer("shared"))])
    router.routes = other.routes
    assert router.routes is other.routes
    assert client.get("/").text == "shared"
    assert isinstance(router.routes, list)


def test_route_subclass_overriding_matches_is_asked_for_every_path(test_client_factory: TestClientFactory) -> None:
    """A subclass that overrides matches() may claim any path: like upstream's scan, the router asks it for every
    request that reaches its place in the list, whatever its own path."""
    static = CountingRoute("/static", answer("static"))
    dynamic = CountingRoute("/items/{id:int}", answer("dynamic"))
    router = Router([static, dynamic])
    client = test_client_factory(router)
    assert client.get("/static").text == "static"
    assert (static.calls, dynamic.calls) == (1, 0)
    assert client.get("/items/3").text == "dynamic"
    assert (static.calls, dynamic.calls) == (2, 1)
    # A websocket reaches an overriding subclass too, which answers for itself (here: no match).
    with pytest.raises(Exception), client.websocket_connect("/static"):  # noqa: B017
        pass  # pragma: no cover
    assert (static.calls, dynamic.calls) == (3, 2)


def test_route_with_a_custom_regex_is_tried_for_every_path(test_client_factory: TestClientFactory) -> None:
    loose = Route("/exact", answer("loose"))
    loose.path_regex = re.compile("^/ex.*$")
    not_a_path = Route("/y", answer("weird"))
    not_a_path.path = None  # type: ignore[assignment]
    router = Router([loose, not_a_path])
    client = test_client_factory(router)
    assert client.get("/exact").text == "loose"
    assert client.get("/example/more").text == "loose"
    assert client.get("/y").text == "weird"


def test_mount_with_custom_regex_or_overridden_matches(test_client_factory: TestClientFactory) -> None:
    class AnyMount(Mount):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return super().matches(scope)

    custom = Mount("/exact", routes=[Route("/x", answer("custom"))])
    custom.path_regex = re.compile("^/(?:exact|other)/(?P<path>.*)$")
    custom.path = None  # type: ignore[assignment]
    weird = Mount("/weird", routes=[Route("/x", answer("weird"))])
    weird.path_regex = re.compile("^/strange/(?P<path>.*)$")
    router = Router(
        [
            custom,
            weird,
            AnyMount("/{lang}", routes=[Route("/index", answer("lang"))]),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/en/index").text == "lang"
    assert client.get("/other/x").text == "custom"
    assert client.get("/strange/x").text == "weird"


def test_custom_base_route_is_tried_in_order(test_client_factory: TestClientFactory) -> None:
    class Everything(BaseRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if scope["type"] == "http" and scope["method"] == "PUT":
                return Match.FULL, {}
            return Match.NONE, {}

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse("everything")(scope, receive, send)

    router = Router([Route("/a", answer("a")), Everything(), Route("/b", answer("b"), methods=["PUT"])])
    client = test_client_factory(router)
    assert client.get("/a").text == "a"
    assert client.put("/b").text == "everything"
    assert client.put("/a").text == "everything"


def test_websocket_index_skips_http_routes(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/ws", answer("http")),
            Route("/room/{name}", answer("http room")),
            WebSocketRoute("/ws", ws_hello),
            WebSocketRoute("/room/{name}", ws_hello),
            Host("chat.example.org", app=Router([WebSocketRoute("/h", ws_hello)])),
        ]
    )
    client = test_client_factory(router)
    for url in ("/ws", "/room/a", "ws://chat.example.org/h"):
        with client.websocket_connect(url) as session:
            assert session.receive_text() == "ws"
    assert client.get("/ws").text == "http"
    assert client.get("/room/a").text == "http room"


def test_unregistered_convertor_falls_back_to_matching(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: TestClientFactory
) -> None:
    class Hex(convertors.Convertor[int]):
        regex = "[0-9a-f]+"

        def convert(self, value: str) -> int:
            return int(value, 16)

        def to_string(self, value: int) -> str:
            return f"{value:x}"

    monkeypatch.setitem(convertors.CONVERTOR_TYPES, "hex", Hex())
    route = Route("/n/{value:hex}", answer("hex"))
    monkeypatch.delitem(convertors.CONVERTOR_TYPES, "hex")
    # The index cannot recompile the path any more; the route is still matched by its own regex.
    client = test_client_factory(Router([route]))
    assert client.get("/n/ff").text == "hex"
    assert client.get("/n/zz").status_code == 404


def test_a_trailing_newline_matches_as_the_compiled_path_says(test_client_factory: TestClientFactory) -> None:
    """A compiled path ends in "$", which also matches before a final newline: upstream's scan serves "/about\\n"
    from Route("/about"), and the index must not hide that route."""
    router = Router([Route("/about", answer("about")), Route("/items/{id}", answer("item"))])
    client = test_client_factory(router)
    assert client.get("/about%0A").text == "about"
    assert client.get("/items/3%0A").text == "item"
    assert client.get("/about%0A%0A").status_code == 404


@pytest.mark.parametrize("count", [200])
def test_many_routes(test_client_factory: TestClientFactory, count: int) -> None:
    routes: list[BaseRoute] = []
    for number in range(count):
        routes.append(Route(f"/static/{number}", answer(f"static {number}")))
        routes.append(Route(f"/dyn{number}/{{id:int}}", answer(f"dyn {number}")))
    client = test_client_factory(Router(routes))
    assert client.get("/static/150").text == "static 150"
    assert client.get("/dyn77/5").text == "dyn 77"
    assert client.get("/dyn77/x").status_code == 404
