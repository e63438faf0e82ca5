from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any, Callable

import pytest

from starlette_core.datastructures import State
from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_middleware import Middleware
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette_middleware.errors import ServerErrorMiddleware
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Host, Mount, Route, Router, WebSocketRoute

TestClientFactory = Callable[..., Any]


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


async def raise_error(request: Request) -> Response:
    raise RuntimeError("boom")


async def raise_http(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="I am a teapot")


async def websocket_endpoint(session: WebSocket) -> None:
    await session.accept()
    await session.send_json({"hello": "world"})
    await session.close()


async def websocket_raise(session: WebSocket) -> None:
    raise WebSocketException(code=1008, reason="policy")


def test_application_routes(test_client_factory: TestClientFactory) -> None:
    users = Router([Route("/{name}", homepage, name="user")])
    app = Starlette(
        routes=[
            Route("/", homepage, name="home"),
            Mount("/users", app=users, name="users"),
            Host("api.example.org", app=Router([Route("/v1", homepage, name="v1")]), name="api"),
            WebSocketRoute("/ws", websocket_endpoint),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world!"
    assert client.get("/users/ada").text == "Hello, world!"
    assert client.get("http://api.example.org/v1").text == "Hello, world!"
    with client.websocket_connect("/ws") as session:
        assert session.receive_json() == {"hello": "world"}
    assert app.url_path_for("home") == "/"
    assert app.url_path_for("users:user", name="ada") == "/users/ada"
    assert app.url_path_for("api:v1").host == "api.example.org"
    assert app.routes is app.router.routes
    assert len(app.routes) == 4


def test_debug_attribute_and_server_errors(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", raise_error)])
    assert app.debug is False
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"

    debug_app = Starlette(debug=True, routes=[Route("/", raise_error)])
    assert debug_app.debug is True
    response = test_client_factory(debug_app, raise_server_exceptions=False).get("/", headers={"accept": "text/plain"})
    assert response.status_code == 500
    assert "RuntimeError" in response.text

    with pytest.raises(RuntimeError, match="boom"):
        test_client_factory(app).get("/")


def test_debug_can_be_set_before_the_first_request(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", raise_error)])
    app.debug = True
    response = test_client_factory(app, raise_server_exceptions=False).get("/", headers={"accept": "text/plain"})
    assert "RuntimeError" in response.text


def test_exception_handlers(test_client_factory: TestClientFactory) -> None:
    async def teapot(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": getattr(exc, "detail", None)}, status_code=418)

    def server_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"custom 500: {exc}", status_code=500)

    app = Starlette(
        routes=[Route("/teapot", raise_http), Route("/error", raise_error)],
        exception_handlers={418: teapot, Exception: server_error},
    )
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/teapot")
    assert (response.status_code, response.json()) == (418, {"detail": "I am a teapot"})
    response = client.get("/error")
    assert (response.status_code, response.text) == (500, "custom 500: boom")


def test_500_status_handler(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/error", raise_error)])
    app.add_exception_handler(500, lambda request, exc: PlainTextResponse("five hundred", status_code=500))
    response = test_client_factory(app, raise_server_exceptions=False).get("/error")
    assert response.text == "five hundred"


def test_exception_handler_decorator_and_add_exception_handler(test_client_factory: TestClientFactory) -> None:
    class Custom(Exception):
        pass

    async def raise_custom(request: Request) -> Response:
        raise Custom()

    app = Starlette(routes=[Route("/custom", raise_custom), Route("/teapot", raise_http)])

    with pytest.warns(DeprecationWarning, match="The `exception_handler` decorator is deprecated"):

        @app.exception_handler(Custom)
        async def handle_custom(request: Request, exc: Exception) -> Response:
            return PlainTextResponse("custom handled", status_code=400)

    app.add_exception_handler(418, lambda request, exc: PlainTextResponse("short and stout", status_code=418))
    assert app.exception_handlers[Custom] is handle_custom
    client = test_client_factory(app)
    assert client.get("/custom").text == "custom handled"
    assert client.get("/teapot").text == "short and stout"


def test_websocket_exception(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", websocket_raise)])
    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(app).websocket_connect("/ws"):
        pass  # pragma: no cover
    assert info.value.code == 1008


def test_state_and_scope_app(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{request.app is app} {request.app.state.value}")

    app = Starlette(routes=[Route("/", endpoint)])
    assert isinstance(app.state, State)
    app.state.value = 42
    assert test_client_factory(app).get("/").text == "True 42"


def test_lifespan_state_reaches_request_state(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        events.append(f"start {type(app).__name__}")
        yield {"items": [1]}
        events.append("stop")

    async def endpoint(request: Request) -> Response:
        request.state.items.append(2)
        request.state.local = "only this request"
        return JSONResponse(request.state.items)

    async def check(request: Request) -> Response:
        return JSONResponse(hasattr(request.state, "local"))

    app = Starlette(routes=[Route("/", endpoint), Route("/check", check)], lifespan=lifespan)
    with test_client_factory(app) as client:
        assert client.get("/").json() == [1, 2]
        assert client.get("/").json() == [1, 2, 2]  # a shallow copy: the list itself is shared
        assert client.get("/check").json() is False
    assert events == ["start Starlette", "stop"]


def test_lifespan_with_on_startup_is_refused() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield  # pragma: no cover

    with pytest.raises(
        AssertionError, match=re.escape("Use either 'lifespan' or 'on_startup'/'on_shutdown', not both.")
    ):
        Starlette(lifespan=lifespan, on_startup=[lambda: None])


def test_deprecated_startup_shutdown(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    with pytest.warns(DeprecationWarning, match="The on_startup and on_shutdown parameters are deprecated"):
        app = Starlette(on_startup=[lambda: events.append("start")], on_shutdown=[lambda: events.append("stop")])
    with pytest.warns(DeprecationWarning, match="The `on_event` decorator is deprecated"):

        @app.on_event("startup")
        async def also_start() -> None:
            events.append("also start")

    app.add_event_handler("shutdown", lambda: events.append("also stop"))
    with test_client_factory(app):
        assert events == ["start", "also start"]
    assert events == ["start", "also start", "stop", "also stop"]


def test_add_route_and_websocket_route(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    app.add_route("/", homepage, methods=["GET"], name="home", include_in_schema=False)
    app.add_websocket_route("/ws", websocket_endpoint, name="ws")
    app.mount("/sub", Router([Route("/x", homepage)]), name="sub")
    app.host("api.example.org", Router([Route("/y", homepage)]), name="api")
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world!"
    assert client.get("/sub/x").text == "Hello, world!"
    assert client.get("http://api.example.org/y").text == "Hello, world!"
    with client.websocket_connect("/ws") as session:
        assert session.receive_json() == {"hello": "world"}
    assert app.url_path_for("ws") == "/ws"
    assert app.url_path_for("sub", path="/x") == "/sub/x"
    route = app.routes[0]
    assert isinstance(route, Route)
    assert route.include_in_schema is False


def test_deprecated_decorators(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    with pytest.warns(DeprecationWarning, match="The `route` decorator is deprecated"):

        @app.route("/", methods=["GET"], name="home", include_in_schema=False)
        async def home(request: Request) -> Response:
            return PlainTextResponse("home")

    with pytest.warns(DeprecationWarning, match="The `websocket_route` decorator is deprecated"):

        @app.websocket_route("/ws", name="ws")
        async def ws(session: WebSocket) -> None:
            await session.accept()
            await session.send_text("ws")
            await session.close()

    with pytest.warns(DeprecationWarning, match="The `middleware` decorator is deprecated"):

        @app.middleware("http")
        async def add_header(request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            response.headers["x-decorated"] = "yes"
            return response

    client = test_client_factory(app)
    response = client.get("/")
    assert response.text == "home"
    assert response.headers["x-decorated"] == "yes"
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "ws"
    assert app.url_path_for("home") == "/"


def test_middleware_decorator_only_supports_http() -> None:
    app = Starlette()
    with pytest.warns(DeprecationWarning), pytest.raises(AssertionError, match='Currently only middleware\\("http"\\)'):
        app.middleware("websocket")


def test_middleware_order_and_stack(test_client_factory: TestClientFactory) -> None:
    calls: list[str] = []

    class Tag:
        def __init__(self, app: ASGIApp, name: str) -> None:
            self.app = app
            self.name = name

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                calls.append(self.name)
            await self.app(scope, receive, send)

    app = Starlette(routes=[Route("/", homepage)], middleware=[Middleware(Tag, "first"), Middleware(Tag, "second")])
    app.add_middleware(Tag, name="added")  # added middleware goes outermost of the user's
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world!"
    assert calls == ["added", "first", "second"]

    stack = app.middleware_stack
    assert isinstance(stack, ServerErrorMiddleware)
    layer: Any = stack
    kinds = []
    while not isinstance(layer, Router):
        kinds.append(type(layer).__name__)
        layer = layer.app
    assert kinds == ["ServerErrorMiddleware", "Tag", "Tag", "Tag", "ExceptionMiddleware"]
    assert layer is app.router

    # Built once: further requests reuse the same stack.
    client.get("/")
    assert app.middleware_stack is stack


def test_add_middleware_after_start_is_refused(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage)])
    test_client_factory(app).get("/")
    with pytest.raises(RuntimeError, match="Cannot add middleware after an application has started"):
        app.add_middleware(BaseHTTPMiddleware)


def test_build_middleware_stack_can_be_called() -> None:
    app = Starlette(exception_handlers={500: lambda request, exc: PlainTextResponse("x")})
    stack = app.build_middleware_stack()
    assert isinstance(stack, ServerErrorMiddleware)
    assert isinstance(stack.app, ExceptionMiddleware)
    assert stack.handler is not None


def test_http_and_websocket_not_found(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage)])
    client = test_client_factory(app)
    response = client.get("/missing")
    assert (response.status_code, response.text) == (404, "Not Found")
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/missing"):
        pass  # pragma: no cover


def test_unknown_method_is_405(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage)])
    response = test_client_factory(app).request("FOO", "/")
    assert (response.status_code, response.text) == (405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, HEAD"


def test_url_for_in_a_mounted_app(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(str(request.url_for("sub:leaf", item="x")))

    inner = Starlette(routes=[Route("/leaf/{item}", endpoint, name="leaf")])
    app = Starlette(routes=[Mount("/sub", app=inner, name="sub")])
    assert test_client_factory(app).get("/sub/leaf/a").text == "http://testserver/sub/leaf/x"
