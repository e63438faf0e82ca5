"""The request path of an application: ServerErrorMiddleware, ExceptionMiddleware, the router, the route and the
request/response endpoint, each awaited in turn as upstream does. These tests pin what each layer does at any time
in an app's life: patched methods are called, replaced stacks and routes are used, the scope carries what the
layers leave in it.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.background import BackgroundTask
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware import Middleware
from starlette_middleware.errors import ServerErrorMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Host, Match, Mount, Route, Router, WebSocketRoute, with_max_body_size
from tests.routing._asgi import call, http_scope, response_body, response_start

TestClientFactory = Callable[..., Any]


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def echo_length(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


def test_background_task_of_a_plain_response_runs_after_the_body(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("done", background=BackgroundTask(events.append, "background"))

    client = test_client_factory(Starlette(routes=[Route("/", endpoint)]))
    response = client.get("/")
    assert response.text == "done"
    assert events == ["background"]


def test_a_stack_without_server_error_middleware_on_top_is_awaited(test_client_factory: TestClientFactory) -> None:
    class Bare(Starlette):
        def build_middleware_stack(self) -> ASGIApp:
            return self.router

    client = test_client_factory(Bare(routes=[Route("/", hello)]))
    assert client.get("/").text == "hello"
    with pytest.raises(HTTPException) as caught:  # nothing handles it: the router's own stack is all there is
        client.get("/missing")
    assert caught.value.status_code == 404


def test_a_patched_server_error_middleware_call_is_called(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = ServerErrorMiddleware.__call__

    async def patched(self: ServerErrorMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(ServerErrorMiddleware, "__call__", patched)
    client = test_client_factory(Starlette(routes=[Route("/", hello)]))
    assert client.get("/").text == "hello"
    assert calls == ["/"]


def test_a_route_whose_matches_ignores_the_method_still_answers_405(test_client_factory: TestClientFactory) -> None:
    class AnyMethodMatches(Route):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if scope["type"] == "http" and scope["path"] == self.path:
                return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
            return Match.NONE, {}

    client = test_client_factory(Starlette(routes=[AnyMethodMatches("/", hello)]))
    assert client.get("/").text == "hello"
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/upload", "/upload/{name}"])
def test_route_body_limits_apply_to_static_and_dynamic_paths(test_client_factory: TestClientFactory, path: str) -> None:
    app = Starlette(routes=[with_max_body_size(Route(path, echo_length, methods=["POST"]), 10)])
    client = test_client_factory(app)
    url = "/upload" if path == "/upload" else "/upload/file"
    assert client.post(url, content=b"x" * 10).text == "10"
    assert client.post(url, content=b"x" * 11).status_code == 413


def test_a_limit_set_on_the_application_router_applies(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/upload", echo_length, methods=["POST"])])
    app.router.max_body_size = 5
    assert app.router.max_body_size == 5
    client = test_client_factory(app)
    assert client.post("/upload", content=b"x" * 5).text == "5"
    assert client.post("/upload", content=b"x" * 6).status_code == 413
    app.router.max_body_size = None  # and the router answers directly again
    assert client.post("/upload", content=b"x" * 6).text == "6"


def test_router_middleware_runs_under_the_application(test_client_factory: TestClientFactory) -> None:
    class Tag:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def tagged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-router", b"yes")]
                await send(message)

            await self.app(scope, receive, tagged)

    app = Starlette()
    app.router = Router(routes=[Route("/", hello)], middleware=[Middleware(Tag)])
    response = test_client_factory(app).get("/")
    assert response.text == "hello"
    assert response.headers["x-router"] == "yes"


@pytest.mark.anyio
async def test_a_websocket_route_on_its_own_is_an_asgi_app() -> None:
    async def session(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.path_params["room"])
        await websocket.close()

    route = WebSocketRoute("/ws/{room}", session)
    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "websocket", "path": "/ws/lobby", "root_path": "", "headers": [], "query_string": b""}
    await route(scope, receive, send)
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "lobby"


@pytest.mark.anyio
async def test_lifespan_keeps_a_router_already_in_the_scope() -> None:
    outer = Router()
    inner = Router()
    messages: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "lifespan", "router": outer, "state": {}}
    await inner(scope, receive, send)
    assert scope["router"] is outer
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


@pytest.mark.anyio
async def test_the_scope_after_a_request_is_what_the_layers_leave() -> None:
    app = Starlette(routes=[Route("/items/{id:int}", hello)])
    scope = http_scope("/items/3")
    messages = await call(app, scope)
    assert response_start(messages)[0] == 200
    assert response_body(messages) == b"hello"
    assert scope["app"] is app
    assert scope["router"] is app.router
    assert scope["endpoint"] is hello
    assert scope["path_params"] == {"id": 3}
    assert "starlette.exception_handlers" in scope


def test_a_route_that_overrides_handle_is_handled_by_it(test_client_factory: TestClientFactory) -> None:
    class Counted(Route):
        handled = 0

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            type(self).handled += 1
            await super().handle(scope, receive, send)

    client = test_client_factory(Starlette(routes=[Counted("/", hello), Counted("/{name}", hello)]))
    assert client.get("/").text == "hello"
    assert client.get("/someone").text == "hello"
    assert Counted.handled == 2


def _client_gone_at_body(sent: list[Message]) -> tuple[Receive, Send]:
    """A receive with an empty body, and a send that records messages and fails on the body (the client left)."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}  # pragma: no cover - never read

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            raise OSError("client went away")

    return receive, send


@pytest.mark.anyio
async def test_a_handled_error_after_the_start_went_out_is_not_answered_again() -> None:
    async def on_os_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=503)  # pragma: no cover - the response already started

    app = Starlette(routes=[Route("/", hello)], exception_handlers={OSError: on_os_error})
    sent: list[Message] = []
    receive, send = _client_gone_at_body(sent)

    with pytest.raises(RuntimeError, match="response already started") as caught:
        await app(http_scope("/"), receive, send)
    assert isinstance(caught.value.__cause__, OSError)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_an_unhandled_error_after_the_start_went_out_gets_no_500() -> None:
    app = Starlette(routes=[Route("/", hello)])
    sent: list[Message] = []
    receive, send = _client_gone_at_body(sent)

    with pytest.raises(OSError, match="client went away"):
        await app(http_scope("/"), receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


def test_a_later_route_for_the_same_static_path_keeps_its_body_limit(test_client_factory: TestClientFactory) -> None:
    routes = [
        Route("/items", hello, methods=["GET"]),
        with_max_body_size(Route("/items", echo_length, methods=["POST"]), 5),
    ]
    client = test_client_factory(Starlette(routes=routes))
    assert client.get("/items").text == "hello"
    assert client.post("/items", content=b"x" * 5).text == "5"
    assert client.post("/items", content=b"x" * 6).status_code == 413


def test_a_router_middleware_stack_can_be_replaced(test_client_factory: TestClientFactory) -> None:
    router = Router(routes=[Route("/", hello)])
    assert router.middleware_stack == router.app
    seen: list[str] = []
    routing = router.middleware_stack

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await routing(scope, receive, send)

    router.middleware_stack = watching
    app = Starlette()
    app.router = router
    assert test_client_factory(app).get("/").text == "hello"
    assert seen == ["/"]


class _PassThrough:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@pytest.mark.parametrize("middleware", [[], [Middleware(_PassThrough)]], ids=["no-user-middleware", "under-middleware"])
def test_a_response_that_fails_before_its_start_is_sent_gets_the_500_page(
    test_client_factory: TestClientFactory, middleware: list[Middleware]
) -> None:
    class Unfinished(Response):
        def __init__(self) -> None:  # sets no headers or body: sending it fails while its start is being built
            self.status_code = 200

    async def endpoint(request: Request) -> Response:
        return Unfinished()

    app = Starlette(routes=[Route("/", endpoint)], middleware=middleware)
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    # Nothing went out, so ServerErrorMiddleware answers with its own 500 page.
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_the_request_an_endpoint_gets_is_what_the_constructor_builds(test_client_factory: TestClientFactory) -> None:
    seen: list[Request] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request)
        return PlainTextResponse("ok")

    client = test_client_factory(Starlette(routes=[Route("/", endpoint)]))
    assert client.get("/").text == "ok"
    request = seen[0]
    assert type(request) is Request
    built = Request(request.scope, request.receive, request._send)
    assert vars(request).keys() == vars(built).keys()
    assert list(vars(request).keys()) == ["scope", "_receive", "_send"]


def test_a_patched_request_init_is_called(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    original = Request.__init__

    def patched(self: Request, scope: Scope, receive: Receive, send: Send) -> None:
        built.append(scope["path"])
        original(self, scope, receive, send)

    monkeypatch.setattr(Request, "__init__", patched)
    client = test_client_factory(Starlette(routes=[Route("/", hello), Route("/items/{id}", hello)]))
    assert client.get("/").text == "hello"
    assert client.get("/items/1").text == "hello"
    assert built == ["/", "/items/1"]


def test_an_inner_application_keeps_the_outer_router_and_path_params(test_client_factory: TestClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def profile(request: Request) -> Response:
        seen.update(router=request.scope["router"], params=request.path_params, endpoint=request.scope["endpoint"])
        return PlainTextResponse("profile")

    inner = Starlette(routes=[Route("/profile", profile)])
    outer = Starlette(routes=[Mount("/users/{uid}", app=inner)])
    client = test_client_factory(outer)
    assert client.get("/users/7/profile").text == "profile"
    assert seen == {"router": outer.router, "params": {"uid": "7"}, "endpoint": profile}
    # Under a Host (which leaves the root path alone) too.
    by_host = Starlette(routes=[Host("api.example.org", app=inner)])
    assert test_client_factory(by_host, base_url="http://api.example.org").get("/profile").text == "profile"
    assert seen == {"router": by_host.router, "params": {}, "endpoint": profile}
    # The inner application called on its own sets its own router and starts with no path parameters.
    assert test_client_factory(inner).get("/profile").text == "profile"
    assert seen == {"router": inner.router, "params": {}, "endpoint": profile}


def test_a_static_path_with_the_wrong_method_gets_405(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Starlette(routes=[Route("/", hello, methods=["GET"])]))
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert client.head("/").status_code == 200


def test_an_endpoint_returning_something_else_than_a_response(test_client_factory: TestClientFactory) -> None:
    async def nothing(request: Request) -> Any:
        return None

    client = test_client_factory(Starlette(routes=[Route("/", nothing)]))
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        client.get("/")


def test_an_application_middleware_stack_replaced_or_reset_after_a_request_is_the_one_used(
    test_client_factory: TestClientFactory,
) -> None:
    builds: list[str] = []

    class Counting(Starlette):
        def build_middleware_stack(self) -> ASGIApp:
            builds.append("built")
            return super().build_middleware_stack()

    app = Counting(routes=[Route("/", hello)])
    client = test_client_factory(app)
    assert client.get("/").text == "hello"
    assert builds == ["built"]
    planned = app.middleware_stack
    assert planned is not None
    seen: list[str] = []

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await planned(scope, receive, send)

    app.middleware_stack = watching  # a replaced stack is the one awaited
    assert client.get("/").text == "hello"
    assert client.get("/").text == "hello"
    assert seen == ["/", "/"]
    app.middleware_stack = planned  # the first stack again, no longer through the wrapper
    assert client.get("/").text == "hello"
    assert seen == ["/", "/"]
    app.middleware_stack = None  # built again on the next request
    assert client.get("/").text == "hello"
    assert builds == ["built", "built"]
    assert app.middleware_stack is not planned
    assert client.get("/missing").status_code == 404
