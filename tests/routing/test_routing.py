from __future__ import annotations

import functools
import json
import re
import uuid
from typing import Any, Callable

import pytest

from starlette_core.datastructures import URLPath
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_middleware import Middleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import (
    PARAM_REGEX,
    BaseRoute,
    Host,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
    compile_path,
    get_name,
    iscoroutinefunction_or_partial,
    replace_params,
    request_response,
    websocket_session,
)
from tests.routing._asgi import call, http_scope, response_body, response_start

TestClientFactory = Callable[..., Any]


def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world")


async def users(request: Request) -> Response:
    return PlainTextResponse("All users")


async def user(request: Request) -> Response:
    return PlainTextResponse(f"User {request.path_params['username']}")


async def user_me(request: Request) -> Response:
    return PlainTextResponse("User fixed me")


def show_params(request: Request) -> Response:
    params = {key: str(value) for key, value in request.path_params.items()}
    return JSONResponse({"params": params, "root_path": request.scope.get("root_path", "")})


async def echo_endpoint(request: Request) -> Response:
    return JSONResponse({"endpoint": request.scope["endpoint"].__name__, "method": request.method})


async def websocket_endpoint(session: WebSocket) -> None:
    await session.accept()
    await session.send_text("Hello, world!")
    await session.close()


async def websocket_params(session: WebSocket) -> None:
    await session.accept()
    await session.send_json(session.path_params)
    await session.close()


class RawApp:
    """A plain ASGI app that reports what it was called with."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        data = {
            "method": scope.get("method"),
            "path": scope["path"],
            "root_path": scope.get("root_path", ""),
            "params": {key: str(value) for key, value in scope.get("path_params", {}).items()},
        }
        await JSONResponse(data)(scope, receive, send)


raw_app = RawApp()

app = Router(
    [
        Route("/", endpoint=homepage, methods=["GET"]),
        Mount(
            "/users",
            routes=[
                Route("/", endpoint=users),
                Route("/me", endpoint=user_me),
                Route("/{username}", endpoint=user),
            ],
        ),
        Mount("/static", app=raw_app, name="static"),
        WebSocketRoute("/ws", endpoint=websocket_endpoint),
        WebSocketRoute("/ws/{room}", endpoint=websocket_params, name="ws_room"),
    ]
)


# ------------------------------------------------------------------------------------------------ helpers


def test_compile_path() -> None:
    regex, path_format, convertors = compile_path("/users/{id:int}/posts/{slug}")
    assert regex.pattern == "^/users/(?P<id>[0-9]+)/posts/(?P<slug>[^/]+)$"
    assert path_format == "/users/{id}/posts/{slug}"
    assert set(convertors) == {"id", "slug"}

    regex, path_format, convertors = compile_path("/a.b+c")
    assert regex.match("/a.b+c")
    assert not regex.match("/aXb+c")  # literal parts are escaped
    assert path_format == "/a.b+c"
    assert convertors == {}


def test_compile_host_path_ignores_port() -> None:
    regex, path_format, convertors = compile_path("{subdomain}.example.org:8000")
    assert regex.match("api.example.org")
    assert not regex.match("api.example.org:8000")
    assert path_format == "{subdomain}.example.org:8000"
    assert list(convertors) == ["subdomain"]


def test_compile_path_errors() -> None:
    with pytest.raises(ValueError, match=re.escape("Duplicated param name id at path /{id}/{id}")):
        compile_path("/{id}/{id}")
    with pytest.raises(ValueError, match="Duplicated param names a, b at path"):
        compile_path("/{a}/{b}/{a}/{b}")
    with pytest.raises(AssertionError, match="Unknown path convertor 'nope'"):
        compile_path("/{id:nope}")


def test_param_regex() -> None:
    assert PARAM_REGEX.findall("/{a}/{b:int}/{1c}") == [("a", ""), ("b", ":int")]


def test_get_name() -> None:
    class Callable_:
        def __call__(self) -> None:
            """Not called."""

    assert get_name(homepage) == "homepage"
    assert get_name(RawApp) == "RawApp"
    assert get_name(raw_app) == "RawApp"
    assert get_name(Callable_()) == "Callable_"


def test_replace_params() -> None:
    convertors = compile_path("/{a}/{b:int}")[2]
    params = {"a": "x", "b": "3", "extra": "y"}
    path, remaining = replace_params("/{a}/{b}", convertors, params)
    assert path == "/x/3"
    assert remaining == {"extra": "y"}
    assert remaining is params


def test_iscoroutinefunction_or_partial_is_deprecated() -> None:
    async def coroutine_function() -> None:
        """Not called."""

    with pytest.warns(DeprecationWarning, match="iscoroutinefunction_or_partial is deprecated"):
        assert iscoroutinefunction_or_partial(functools.partial(functools.partial(coroutine_function)))
    with pytest.warns(DeprecationWarning):
        assert not iscoroutinefunction_or_partial(homepage)


def test_no_match_found_message() -> None:
    error = NoMatchFound("user", {"id": 1, "page": 2})
    assert str(error) == 'No route exists for name "user" and params "id, page".'
    assert str(NoMatchFound("x", {})) == 'No route exists for name "x" and params "".'


def test_match_enum() -> None:
    assert [member.name for member in Match] == ["NONE", "PARTIAL", "FULL"]


# ------------------------------------------------------------------------------------------------ Router


def test_router(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)

    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello, world"

    response = client.post("/")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD"

    response = client.get("/foo")
    assert response.status_code == 404
    assert response.text == "Not Found"

    assert client.get("/users").url == "http://testserver/users/"  # redirected
    assert client.get("/users/").text == "All users"
    assert client.get("/users/tomchristie").text == "User tomchristie"
    assert client.get("/users/me").text == "User fixed me"
    assert client.get("/users/tomchristie/").url == "http://testserver/users/tomchristie"
    assert client.get("/users/tomchristie/").text == "User tomchristie"
    assert client.get("/users/nomatch/x").status_code == 404

    response = client.get("/static/123")
    assert response.json() == {"method": "GET", "path": "/static/123", "root_path": "/static", "params": {}}


def test_head_is_implied_by_get(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).head("/")
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["content-length"] == "12"


def test_unknown_method_is_405_not_500(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    for method in ("FOO", "DISPATCH", "PROPFIND", "_GET"):
        response = client.request(method, "/")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"


def test_router_url_path_for() -> None:
    assert app.url_path_for("homepage") == "/"
    assert app.url_path_for("user", username="tomchristie") == "/users/tomchristie"
    assert app.url_path_for("websocket_endpoint") == "/ws"
    assert app.url_path_for("ws_room", room="a").protocol == "websocket"
    assert app.url_path_for("homepage").protocol == "http"
    with pytest.raises(NoMatchFound, match=re.escape('No route exists for name "broken" and params "".')):
        app.url_path_for("broken")
    with pytest.raises(NoMatchFound, match='params "wrong"'):
        app.url_path_for("user", wrong="x")


def test_url_path_for_is_absolute_on_base_url() -> None:
    url = app.url_path_for("homepage").make_absolute_url(base_url="https://example.org")
    assert str(url) == "https://example.org/"
    ws = app.url_path_for("websocket_endpoint").make_absolute_url(base_url="https://example.org")
    assert str(ws) == "wss://example.org/ws"


def test_router_add_route(test_client_factory: TestClientFactory) -> None:
    router = Router()
    router.add_route("/", homepage, methods=["POST"], name="home", include_in_schema=False)
    route = router.routes[0]
    assert isinstance(route, Route)
    assert route.include_in_schema is False
    assert route.name == "home"
    assert route.methods == {"POST"}
    client = test_client_factory(router)
    assert client.post("/").text == "Hello, world"
    assert client.get("/").status_code == 405


def test_router_add_websocket_route(test_client_factory: TestClientFactory) -> None:
    router = Router()
    router.add_websocket_route("/ws/{room}", websocket_params, name="room")
    with test_client_factory(router).websocket_connect("/ws/abc") as session:
        assert session.receive_json() == {"room": "abc"}
    assert router.url_path_for("room", room="x") == "/ws/x"


def test_router_mount_and_host_methods(test_client_factory: TestClientFactory) -> None:
    router = Router()
    router.mount("/raw", raw_app, name="raw")
    router.host("api.example.org", raw_app, name="api")
    assert isinstance(router.routes[0], Mount)
    assert isinstance(router.routes[1], Host)
    client = test_client_factory(router, base_url="http://other.example.org")
    assert client.get("/raw/x").json()["root_path"] == "/raw"
    api = test_client_factory(router, base_url="http://api.example.org")
    assert api.get("/anything").json()["path"] == "/anything"
    assert router.url_path_for("raw", path="/a") == "/raw/a"


def test_websocket_routes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, world!"
    with client.websocket_connect("/ws/lobby") as session:
        assert session.receive_json() == {"room": "lobby"}


def test_websocket_not_found_closes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/nope"):
        pass  # pragma: no cover - the connection is refused
    assert info.value.code == 1000


def test_http_request_to_websocket_route_is_404(test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(app).get("/ws").status_code == 404


def test_websocket_to_http_route_is_closed(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(WebSocketDisconnect), test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover


def test_default_app(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/", homepage)], default=raw_app)
    response = test_client_factory(router).get("/missing")
    assert response.json()["path"] == "/missing"


def test_not_found_inside_an_app_raises_http_exception(test_client_factory: TestClientFactory) -> None:
    seen: list[int] = []

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        seen.append(exc.status_code)
        return PlainTextResponse("custom 404", status_code=404)

    starlette = Starlette(routes=[Route("/", homepage)], exception_handlers={404: not_found})
    response = test_client_factory(starlette).get("/missing")
    assert response.text == "custom 404"
    assert seen == [404]


def test_method_not_allowed_inside_an_app_raises_http_exception(test_client_factory: TestClientFactory) -> None:
    async def not_allowed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        assert exc.headers == {"Allow": "GET, HEAD"}
        return PlainTextResponse("custom 405", status_code=405, headers=exc.headers)

    starlette = Starlette(routes=[Route("/", homepage)], exception_handlers={405: not_allowed})
    response = test_client_factory(starlette).request("BREW", "/")
    assert response.status_code == 405
    assert response.text == "custom 405"
    assert response.headers["allow"] == "GET, HEAD"
    # Without a handler of its own, the application's default answer is the same as a bare router's.
    plain = test_client_factory(Starlette(routes=[Route("/", homepage)])).delete("/")
    assert (plain.status_code, plain.text, plain.headers["allow"]) == (405, "Method Not Allowed", "GET, HEAD")


def test_first_full_match_wins_over_earlier_partial(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/item", echo_endpoint, methods=["GET"]),
            Route("/item", users, methods=["POST"]),
            Route("/item", user_me, methods=["POST", "PUT"]),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/item").json() == {"endpoint": "echo_endpoint", "method": "GET"}
    assert client.post("/item").text == "All users"
    assert client.put("/item").text == "User fixed me"
    # Only partial matches: the first of them answers, with its own Allow header.
    response = client.delete("/item")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_redirect_slashes_disabled(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/about/", homepage)], redirect_slashes=False)
    assert test_client_factory(router).get("/about").status_code == 404


def test_redirect_keeps_query_string(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/about/", homepage)])
    response = test_client_factory(router).get("/about?a=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/about/?a=1"


def test_no_redirect_for_root_or_websocket(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/{anything:path}/", homepage), WebSocketRoute("/ws/", websocket_endpoint)])
    client = test_client_factory(router)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass  # pragma: no cover


@pytest.mark.anyio
async def test_redirect_root_path_is_not_redirected() -> None:
    # "/" is the one path whose slash is never toggled, even under a root_path.
    router = Router([Mount("/api", routes=[Route("/x", homepage)])])
    messages = await call(router, http_scope("/api", root_path="/api"))
    assert response_start(messages)[0] == 404


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["//evil.com", "//evil.com/", "/\\evil.com", "/\\evil.com/", "///evil.com"])
async def test_trailing_slash_redirect_never_points_off_site(path: str) -> None:
    # A catch-all route matches the slash-toggled path; without a Host header or server in the scope, the
    # redirect URL would be the bare path, and a Location of "//evil.com/" sends a browser to evil.com.
    catch_all = Route("/{rest:path}m", homepage) if path.endswith("/") else Route("/{rest:path}/", homepage)
    router = Router([catch_all])
    messages = await call(router, http_scope(path))
    status, headers = response_start(messages)
    assert status == 404
    assert "location" not in headers


@pytest.mark.anyio
async def test_trailing_slash_redirect_without_host_is_relative() -> None:
    router = Router([Route("/about/", homepage)])
    messages = await call(router, http_scope("/about"))
    status, headers = response_start(messages)
    assert status == 307
    assert headers["location"] == "/about/"


def test_router_equality() -> None:
    assert Router([Route("/", homepage)]) == Router([Route("/", homepage)])
    assert Router([Route("/", homepage)]) != Router([Route("/x", homepage)])
    assert Router() != object()
    with pytest.raises(TypeError):
        hash(Router())


def test_router_middleware(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class Tag:
        def __init__(self, app: Any, tag: str) -> None:
            self.app = app
            self.tag = tag

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(self.tag)
            await self.app(scope, receive, send)

    router = Router([Route("/", homepage)], middleware=[Middleware(Tag, "outer"), Middleware(Tag, tag="inner")])
    assert test_client_factory(router).get("/").text == "Hello, world"
    assert test_client_factory(router).get("/nope").status_code == 404
    assert calls == ["outer", "inner", "outer", "inner"]


def test_scope_router_is_the_outermost_router(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request.scope["router"])
        return PlainTextResponse(str(request.url_for("inner:leaf")))

    router = Router([Mount("/inner", routes=[Route("/leaf", endpoint, name="leaf")], name="inner")])
    assert test_client_factory(router).get("/inner/leaf").text == "http://testserver/inner/leaf"
    assert seen == [router]


@pytest.mark.anyio
async def test_router_rejects_unknown_scope_types() -> None:
    async def receive() -> Any:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Any) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(AssertionError):
        await Router()({"type": "unknown"}, receive, send)


# ------------------------------------------------------------------------------------------------ Route


def test_route_defaults() -> None:
    route = Route("/", homepage)
    assert route.name == "homepage"
    assert route.methods == {"GET", "HEAD"}
    assert route.include_in_schema is True
    assert route.endpoint is homepage

    asgi_route = Route("/raw", raw_app)
    assert asgi_route.methods is None
    assert asgi_route.name == "RawApp"
    assert asgi_route.app is raw_app

    post = Route("/p", homepage, methods=["post", "Put"])
    assert post.methods == {"POST", "PUT"}


def test_route_path_must_start_with_slash() -> None:
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        Route("users", homepage)
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        WebSocketRoute("ws", websocket_endpoint)
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        Mount("users", raw_app)


def test_route_with_asgi_app_accepts_every_method(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/raw", raw_app)]))
    assert client.request("PATCH", "/raw").json()["method"] == "PATCH"
    assert client.request("WHATEVER", "/raw").json()["method"] == "WHATEVER"


def test_route_endpoints_of_every_kind(test_client_factory: TestClientFactory) -> None:
    class Handlers:
        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        async def hello(self, request: Request) -> Response:
            return PlainTextResponse(self.greeting)

    def with_suffix(request: Request, suffix: str) -> Response:
        return PlainTextResponse("sync " + suffix)

    async def async_with_suffix(request: Request, suffix: str) -> Response:
        return PlainTextResponse("async " + suffix)

    router = Router(
        [
            Route("/method", Handlers("hi").hello),
            Route("/partial", functools.partial(with_suffix, suffix="p")),
            Route("/apartial", functools.partial(functools.partial(async_with_suffix), suffix="q")),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/method").text == "hi"
    assert client.get("/partial").text == "sync p"
    assert client.get("/apartial").text == "async q"
    assert client.post("/partial").status_code == 405
    partial_route = router.routes[1]
    assert isinstance(partial_route, Route)
    assert partial_route.name == "partial"  # a partial has no __name__: its class name is used


def test_route_middleware(test_client_factory: TestClientFactory) -> None:
    class AddHeader:
        def __init__(self, app: Any, value: str) -> None:
            self.app = app
            self.value = value

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def send_with_header(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-route", self.value.encode())]
                await send(message)

            await self.app(scope, receive, send_with_header)

    router = Router(
        [
            Route("/", homepage, middleware=[Middleware(AddHeader, "home")]),
            Route("/other", users),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/").headers["x-route"] == "home"
    assert "x-route" not in client.get("/other").headers
    # A 405 from the route happens before its middleware.
    assert "x-route" not in client.post("/").headers


def test_route_equality_and_repr() -> None:
    route = Route("/", homepage, methods=["POST", "GET"])
    assert route == Route("/", homepage, methods=["GET", "POST"])
    assert route != Route("/", homepage)
    assert route != Route("/x", homepage, methods=["GET", "POST"])
    assert route != Route("/", users, methods=["GET", "POST"])
    assert route != object()
    assert repr(route) == "Route(path='/', name='homepage', methods=['GET', 'HEAD', 'POST'])"
    assert repr(Route("/raw", raw_app)) == "Route(path='/raw', name='RawApp', methods=[])"
    with pytest.raises(TypeError):
        hash(route)


def test_route_url_path_for() -> None:
    route = Route("/users/{id:int}", homepage, name="user")
    assert route.url_path_for("user", id=3) == "/users/3"
    with pytest.raises(NoMatchFound):
        route.url_path_for("other", id=3)
    with pytest.raises(NoMatchFound):
        route.url_path_for("user")
    with pytest.raises(NoMatchFound):
        route.url_path_for("user", id=3, extra=1)


def test_route_matches_only_http() -> None:
    route = Route("/", homepage)
    assert route.matches({"type": "websocket", "path": "/", "path_params": {}}) == (Match.NONE, {})
    match, child = route.matches({"type": "http", "path": "/", "method": "GET", "path_params": {"x": 1}})
    assert match is Match.FULL
    assert child == {"endpoint": homepage, "path_params": {"x": 1}}
    match, child = route.matches({"type": "http", "path": "/", "method": "POST"})
    assert match is Match.PARTIAL
    assert route.matches({"type": "http", "path": "/x", "method": "GET"}) == (Match.NONE, {})


def test_route_used_as_an_app(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Route("/users/{username}", user))
    assert client.get("/users/ada").text == "User ada"
    response = client.get("/")
    assert response.status_code == 404
    assert response.text == "Not Found"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/"):
        pass  # pragma: no cover


@pytest.mark.anyio
async def test_route_used_as_an_app_ignores_other_scope_types() -> None:
    sent: list[Any] = []

    async def receive() -> Any:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Any) -> None:
        sent.append(message)  # pragma: no cover

    await Route("/", homepage)({"type": "lifespan"}, receive, send)
    assert sent == []


@pytest.mark.anyio
async def test_base_route_is_abstract() -> None:
    route = BaseRoute()
    with pytest.raises(NotImplementedError):
        route.matches({})
    with pytest.raises(NotImplementedError):
        route.url_path_for("x")
    with pytest.raises(NotImplementedError):
        await route.handle({}, None, None)  # type: ignore[arg-type]


def test_request_response_and_websocket_session(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(request_response(homepage))
    assert client.get("/anything").text == "Hello, world"
    with test_client_factory(websocket_session(websocket_endpoint)).websocket_connect("/") as session:
        assert session.receive_text() == "Hello, world!"


def test_request_response_exception_handlers(test_client_factory: TestClientFactory) -> None:
    class Teapot(Exception):
        pass

    async def raises(request: Request) -> Response:
        raise Teapot()

    def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=418)

    starlette = Starlette(routes=[Route("/", raises)], exception_handlers={Teapot: handler})
    response = test_client_factory(starlette).get("/")
    assert (response.status_code, response.text) == (418, "handled")


# ------------------------------------------------------------------------------------------------ WebSocketRoute


def test_websocket_route_with_asgi_app_and_middleware(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class Echo:
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            session = WebSocket(scope, receive, send)
            await session.accept()
            await session.send_text(session.url.path)
            await session.close()

    class Tag:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["type"])
            await self.app(scope, receive, send)

    route = WebSocketRoute("/echo", Echo(), middleware=[Middleware(Tag)])
    assert route.name == "Echo"
    with test_client_factory(Router([route])).websocket_connect("/echo") as session:
        assert session.receive_text() == "/echo"
    assert calls == ["websocket"]


def test_websocket_route_method_and_partial_endpoints(test_client_factory: TestClientFactory) -> None:
    class Chat:
        async def join(self, session: WebSocket) -> None:
            await session.accept()
            await session.send_text("joined")
            await session.close()

    async def greet(session: WebSocket, greeting: str) -> None:
        await session.accept()
        await session.send_text(greeting)
        await session.close()

    router = Router([WebSocketRoute("/a", Chat().join), WebSocketRoute("/b", functools.partial(greet, greeting="yo"))])
    client = test_client_factory(router)
    with client.websocket_connect("/a") as session:
        assert session.receive_text() == "joined"
    with client.websocket_connect("/b") as session:
        assert session.receive_text() == "yo"


def test_websocket_route_equality_repr_url() -> None:
    route = WebSocketRoute("/ws/{room}", websocket_params, name="room")
    assert route == WebSocketRoute("/ws/{room}", websocket_params)
    assert route != WebSocketRoute("/ws/{room}", websocket_endpoint)
    assert route != WebSocketRoute("/other", websocket_params)
    assert route != object()
    assert repr(route) == "WebSocketRoute(path='/ws/{room}', name='room')"
    url = route.url_path_for("room", room="x")
    assert (url, url.protocol) == ("/ws/x", "websocket")
    with pytest.raises(NoMatchFound):
        route.url_path_for("room")
    with pytest.raises(NoMatchFound):
        route.url_path_for("other", room="x")
    with pytest.raises(TypeError):
        hash(route)


def test_websocket_route_matches() -> None:
    route = WebSocketRoute("/ws/{n:int}", websocket_params)
    assert route.matches({"type": "http", "path": "/ws/1"}) == (Match.NONE, {})
    assert route.matches({"type": "websocket", "path": "/ws/x"}) == (Match.NONE, {})
    assert route.matches({"type": "websocket", "path": "/ws/" + "1" * 5000}) == (Match.NONE, {})
    assert route.matches({"type": "websocket", "path": "/ws/2", "path_params": {"a": "b"}}) == (
        Match.FULL,
        {"endpoint": websocket_params, "path_params": {"a": "b", "n": 2}},
    )


def test_websocket_malformed_param_is_closed(test_client_factory: TestClientFactory) -> None:
    router = Router([WebSocketRoute("/ws/{n:int}", websocket_params)])
    with pytest.raises(WebSocketDisconnect), test_client_factory(router).websocket_connect("/ws/abc"):
        pass  # pragma: no cover


# ------------------------------------------------------------------------------------------------ Mount


def test_mount_requires_app_or_routes() -> None:
    with pytest.raises(AssertionError, match=re.escape("Either 'app=...', or 'routes=' must be specified")):
        Mount("/x")


def test_mount_root_path_and_params(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Mount(
                "/org/{org}",
                routes=[
                    Route("/", show_params, name="home"),
                    Route("/repo/{repo}", show_params, name="repo"),
                    Mount("/deep/{n:int}", app=raw_app, name="deep"),
                ],
                name="org",
            )
        ]
    )
    client = test_client_factory(router)
    assert client.get("/org/acme/repo/web").json() == {
        "params": {"org": "acme", "repo": "web"},
        "root_path": "/org/acme",
    }
    assert client.get("/org/acme/").json() == {"params": {"org": "acme"}, "root_path": "/org/acme"}
    assert client.get("/org/acme/deep/3/file.txt").json() == {
        "method": "GET",
        "path": "/org/acme/deep/3/file.txt",
        "root_path": "/org/acme/deep/3",
        "params": {"org": "acme", "n": "3"},
    }
    assert client.get("/org/acme/deep/x/file.txt").status_code == 404

    assert router.url_path_for("org:repo", org="acme", repo="web") == "/org/acme/repo/web"
    assert router.url_path_for("org:home", org="acme") == "/org/acme/"
    assert router.url_path_for("org:deep", org="a", n=1, path="/f") == "/org/a/deep/1/f"
    assert router.url_path_for("org", org="a", path="/x/y") == "/org/a/x/y"
    with pytest.raises(NoMatchFound):
        router.url_path_for("org:missing", org="a")
    with pytest.raises(NoMatchFound):
        router.url_path_for("org", org="a", extra=1, path="/x")  # an unknown parameter
    with pytest.raises(NoMatchFound):
        router.url_path_for("other:repo", org="a", repo="b")


@pytest.mark.anyio
async def test_mount_app_root_path_is_kept() -> None:
    async def endpoint(request: Request) -> Response:
        return JSONResponse({key: request.scope.get(key) for key in ("root_path", "app_root_path")})

    router = Router([Mount("/a", routes=[Mount("/b", routes=[Route("/c", endpoint)])])])
    messages = await call(router, http_scope("/base/a/b/c", root_path="/base"))
    assert json.loads(response_body(messages)) == {"root_path": "/base/a/b", "app_root_path": "/base"}


def test_unnamed_mount_url_path_for_and_path_kwarg() -> None:
    mount = Mount("/files", routes=[Route("/{path:path}", homepage, name="file")])
    assert mount.url_path_for("file", path="a/b.txt") == "/files/a/b.txt"
    with pytest.raises(NoMatchFound):
        mount.url_path_for("missing")
    app_mount = Mount("/raw", app=raw_app)
    assert app_mount.routes == []
    with pytest.raises(NoMatchFound):
        app_mount.url_path_for("anything")


def test_mount_at_root(test_client_factory: TestClientFactory) -> None:
    mount = Mount("/", routes=[Route("/hello", homepage, name="hello")])
    assert mount.path == ""
    client = test_client_factory(Router([mount]))
    assert client.get("/hello").text == "Hello, world"
    assert mount.url_path_for("hello") == "/hello"


def test_mount_middleware(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class Tag:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["path"])
            await self.app(scope, receive, send)

    router = Router(
        [
            Mount("/m", routes=[Route("/x", homepage)], middleware=[Middleware(Tag)]),
            Route("/y", homepage),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/m/x").text == "Hello, world"
    assert client.get("/y").text == "Hello, world"
    assert client.get("/m/zzz").status_code == 404
    assert calls == ["/m/x", "/m/zzz"]


def test_mount_equality_repr_matches() -> None:
    mount = Mount("/a", app=raw_app, name="a")
    assert mount == Mount("/a/", app=raw_app)
    assert mount != Mount("/b", app=raw_app)
    assert mount != object()
    assert repr(mount).startswith("Mount(path='/a', name='a', app=")
    assert repr(Mount("/a", app=raw_app)).startswith("Mount(path='/a', name='', app=")
    assert mount.matches({"type": "lifespan"}) == (Match.NONE, {})
    assert mount.matches({"type": "http", "path": "/b/x"}) == (Match.NONE, {})
    with pytest.raises(TypeError):
        hash(mount)


def test_mount_routes_can_be_appended_later(test_client_factory: TestClientFactory) -> None:
    mount = Mount("/m", routes=[Route("/a", homepage)])
    router = Router([mount])
    client = test_client_factory(router)
    assert client.get("/m/b").status_code == 404
    mount.routes.append(Route("/b", users))
    assert client.get("/m/b").text == "All users"


# ------------------------------------------------------------------------------------------------ Host


def test_host_routing(test_client_factory: TestClientFactory) -> None:
    api = Router([Route("/users", show_params, name="users")])
    router = Router(
        [
            Host("{tenant}.example.org", app=api, name="tenant"),
            Host("{n:int}.numbers.org", app=raw_app, name="numbers"),
            Route("/", homepage),
        ]
    )
    client = test_client_factory(router, base_url="https://acme.example.org")
    assert client.get("/users").json() == {"params": {"tenant": "acme"}, "root_path": ""}
    assert test_client_factory(router, base_url="https://acme.example.org:8443").get("/users").status_code == 200
    assert test_client_factory(router, base_url="https://other.org").get("/").text == "Hello, world"
    # A host that only matches the pattern, not the convertor, does not match.
    assert test_client_factory(router, base_url="http://" + "1" * 5000 + ".numbers.org").get("/").status_code == 200

    url = router.url_path_for("tenant:users", tenant="acme")
    assert (url, url.host, url.protocol) == ("/users", "acme.example.org", "http")
    assert str(url.make_absolute_url("https://whatever.org")) == "https://acme.example.org/users"
    url = router.url_path_for("numbers", n=7, path="/x")
    assert (url, url.host) == ("/x", "7.numbers.org")
    with pytest.raises(NoMatchFound):
        router.url_path_for("numbers", n=7, extra=1, path="/x")  # an unknown parameter
    with pytest.raises(NoMatchFound):
        router.url_path_for("tenant:missing", tenant="a")


def test_host_without_name_and_headers() -> None:
    host = Host("example.org", app=Router([Route("/", homepage, name="home")]))
    url = host.url_path_for("home")
    assert (url, url.host) == ("/", "example.org")
    assert host.matches({"type": "http", "headers": []}) == (Match.NONE, {})
    assert host.matches({"type": "lifespan"}) == (Match.NONE, {})
    match, child = host.matches({"type": "http", "headers": [(b"host", b"example.org:80")], "path_params": {"a": 1}})
    assert match is Match.FULL
    assert child["path_params"] == {"a": 1}
    assert Host("x.org", app=raw_app).routes == []
    with pytest.raises(NoMatchFound):
        Host("x.org", app=raw_app).url_path_for("anything")


def test_host_must_not_start_with_slash() -> None:
    with pytest.raises(AssertionError, match="Host must not start with '/'"):
        Host("/example.org", app=raw_app)


def test_host_equality_and_repr() -> None:
    host = Host("example.org", app=raw_app, name="ex")
    assert host == Host("example.org", app=raw_app)
    assert host != Host("other.org", app=raw_app)
    assert host != object()
    assert repr(host).startswith("Host(host='example.org', name='ex', app=")
    assert repr(Host("a.org", app=raw_app)).startswith("Host(host='a.org', name='', app=")
    with pytest.raises(TypeError):
        hash(host)


def test_host_websocket(test_client_factory: TestClientFactory) -> None:
    router = Router([Host("chat.example.org", app=Router([WebSocketRoute("/ws", websocket_endpoint)]))])
    client = test_client_factory(router)
    with client.websocket_connect("ws://chat.example.org/ws") as session:
        assert session.receive_text() == "Hello, world!"


def test_uuid_and_typed_params_in_mount_url_path_for() -> None:
    mount = Mount("/u/{id:uuid}", routes=[Route("/", homepage, name="home")], name="u")
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert mount.url_path_for("u:home", id=value) == "/u/12345678-1234-5678-1234-567812345678/"
    assert isinstance(mount.url_path_for("u:home", id=value), URLPath)


def test_path_regex_is_anchored() -> None:
    route = Route("/a/{b}", homepage)
    assert isinstance(route.path_regex, re.Pattern)
    assert route.path_regex.match("/a/b")
    assert not route.path_regex.match("/x/a/b")
