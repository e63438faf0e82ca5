"""``max_body_size`` on Starlette, Router, Route and Mount: 413 for request bodies over the limit.

The keyword (upstream 1.6), the attribute and ``with_max_body_size`` (beyond upstream) are one setting, applied
through :mod:`starlette_middleware.body_limit` (tested on its own in tests/middleware/test_body_limit.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import Message, Receive, Scope, Send
from starlette_middleware import Middleware
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette_middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Mount, Route, Router, WebSocketRoute, with_max_body_size
from tests.routing._asgi import call, http_scope, response_body, response_start

TestClientFactory = Callable[..., Any]


async def upload(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"received {len(body)}")


class AsgiApp:
    """Wraps an ASGI function so that Route treats it as an app, not as a request/response endpoint."""

    def __init__(self, func: Callable[[Scope, Receive, Send], Any]) -> None:
        self.func = func

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.func(scope, receive, send)


def chunks(size: int, count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield b"x" * size


def test_content_length_over_the_limit_is_refused(test_client_factory: TestClientFactory) -> None:
    called: list[bool] = []

    async def endpoint(request: Request) -> Response:
        called.append(True)  # pragma: no cover - refused before the endpoint runs
        return PlainTextResponse("no")  # pragma: no cover

    route = with_max_body_size(Route("/", endpoint, methods=["POST"]), 10)
    client = test_client_factory(Router([route]))
    response = client.post("/", content=b"x" * 11)
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert called == []


def test_bodies_within_the_limit_pass(test_client_factory: TestClientFactory) -> None:
    route = with_max_body_size(Route("/", upload, methods=["POST"]), 10)
    client = test_client_factory(Router([route]))
    assert client.post("/", content=b"x" * 10).text == "received 10"
    assert client.post("/", content=b"").text == "received 0"
    assert client.post("/", content=chunks(5, 2)).text == "received 10"


def test_streamed_body_is_refused_as_it_arrives(test_client_factory: TestClientFactory) -> None:
    route = with_max_body_size(Route("/", upload, methods=["POST"]), 10)
    client = test_client_factory(Router([route]))
    response = client.post("/", content=chunks(4, 5))  # chunked: no Content-Length
    assert (response.status_code, response.text) == (413, "Content Too Large")


@pytest.mark.anyio
async def test_refused_before_the_whole_body_is_read() -> None:
    received: list[int] = []

    async def counting(request: Request) -> Response:
        async for chunk in request.stream():
            received.append(len(chunk))
        return PlainTextResponse("read all")  # pragma: no cover

    route = with_max_body_size(Route("/", counting, methods=["POST"]), 10)
    messages = await call(Router([route]), http_scope("/", method="POST"), [b"x" * 6, b"x" * 6, b"x" * 6, b"x" * 6])
    assert response_start(messages)[0] == 413
    assert received == [6]  # the second chunk crossed the limit and was never handed to the endpoint


@pytest.mark.anyio
@pytest.mark.parametrize("value", [b"abc", b"-1", b"1" * 30])
async def test_unusable_or_huge_content_length(value: bytes) -> None:
    route = with_max_body_size(Route("/", upload, methods=["POST"]), 10)
    scope = http_scope("/", method="POST", headers=[(b"content-length", value)])
    messages = await call(Router([route]), scope, [b"x" * 5])
    status = response_start(messages)[0]
    # An unusable header is ignored (the body is counted instead); a 30-digit length is over any limit.
    assert status == (413 if value.isdigit() else 200)


def test_limit_inside_an_application_goes_through_exception_handlers(test_client_factory: TestClientFactory) -> None:
    seen: list[int] = []

    def too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        seen.append(exc.status_code)
        return PlainTextResponse("custom 413", status_code=413)

    app = Starlette(routes=[Route("/", upload, methods=["POST"])], exception_handlers={413: too_large})
    app.max_body_size = 10
    client = test_client_factory(app)
    assert client.post("/", content=chunks(6, 2)).text == "custom 413"  # streamed: refused by request.body()
    assert client.post("/", content=b"x" * 11).text == "custom 413"  # Content-Length: refused at the route
    assert client.post("/", content=b"x" * 10).text == "received 10"
    assert seen == [413, 413]


@pytest.mark.parametrize("own_limit", [False, True])
def test_a_handler_cannot_turn_the_refusal_into_another_answer(
    own_limit: bool, test_client_factory: TestClientFactory
) -> None:
    def forgiving(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("fine")

    route = Route("/", upload, methods=["POST"], max_body_size=10 if own_limit else None)
    app = Starlette(routes=[route], exception_handlers={413: forgiving}, max_body_size=None if own_limit else 10)
    response = test_client_factory(app).post("/", content=b"x" * 11)
    assert (response.status_code, response.text) == (413, "Content Too Large")


def test_innermost_setting_wins(test_client_factory: TestClientFactory) -> None:
    inner = Router(
        [
            Route("/default", upload, methods=["POST"]),
            with_max_body_size(Route("/big", upload, methods=["POST"]), 1000),
            with_max_body_size(Route("/tiny", upload, methods=["POST"]), 2),
        ]
    )
    inner.max_body_size = 50
    app = Starlette(
        routes=[
            Route("/app", upload, methods=["POST"]),
            with_max_body_size(Mount("/mount", app=inner), 20),
            with_max_body_size(Mount("/limited", routes=[Route("/x", upload, methods=["POST"])]), 30),
        ]
    )
    app.max_body_size = 10
    client = test_client_factory(app)
    assert client.post("/app", content=b"x" * 11).status_code == 413
    assert client.post("/mount/default", content=b"x" * 40).text == "received 40"  # the router's 50
    assert client.post("/mount/default", content=b"x" * 51).status_code == 413
    assert client.post("/mount/big", content=b"x" * 500).text == "received 500"  # the route's 1000
    assert client.post("/mount/big", content=chunks(100, 5)).text == "received 500"
    assert client.post("/mount/tiny", content=b"x" * 3).status_code == 413
    assert client.post("/limited/x", content=b"x" * 25).text == "received 25"  # the mount's 30
    assert client.post("/limited/x", content=b"x" * 31).status_code == 413


def test_limit_applies_to_middleware_reading_the_body(test_client_factory: TestClientFactory) -> None:
    class ReadsBody(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            await request.body()
            return await call_next(request)

    app = Starlette(routes=[Route("/", upload, methods=["POST"])], middleware=[Middleware(ReadsBody)])
    app.max_body_size = 10
    client = test_client_factory(app)
    assert client.post("/", content=b"x" * 8).text == "received 8"
    response = client.post("/", content=chunks(6, 2))
    assert (response.status_code, response.text) == (413, "Content Too Large")
    response = client.post("/", content=b"x" * 20)
    assert (response.status_code, response.text) == (413, "Content Too Large")


def test_limit_on_a_mount_of_a_plain_app(test_client_factory: TestClientFactory) -> None:
    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        total = 0
        more = True
        while more:
            message = await receive()
            total += len(message.get("body", b""))
            more = message.get("more_body", False)
        await PlainTextResponse(f"raw {total}")(scope, receive, send)

    router = Router([with_max_body_size(Mount("/raw", app=raw), 10)])
    client = test_client_factory(router)
    assert client.post("/raw/x", content=b"x" * 10).text == "raw 10"
    response = client.post("/raw/x", content=b"x" * 11)
    assert (response.status_code, response.text) == (413, "Content Too Large")


def test_limit_after_the_response_started_propagates(test_client_factory: TestClientFactory) -> None:
    async def reads_late(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await receive()

    router = Router([with_max_body_size(Route("/", AsgiApp(reads_late)), 1)])
    with pytest.raises(HTTPException) as info:
        test_client_factory(router).post("/", content=chunks(5, 1))
    assert info.value.status_code == 413


def test_router_level_limit(test_client_factory: TestClientFactory) -> None:
    router = with_max_body_size(Router([Route("/", upload, methods=["POST"])]), 5)
    client = test_client_factory(router)
    assert client.post("/", content=b"x" * 5).text == "received 5"
    assert client.post("/", content=b"x" * 6).status_code == 413
    assert client.get("/missing").status_code == 404


def test_websockets_and_lifespan_are_not_limited(test_client_factory: TestClientFactory) -> None:
    async def ws(session: Any) -> None:
        await session.accept()
        await session.send_text(await session.receive_text())
        await session.close()

    router = with_max_body_size(
        Router([with_max_body_size(Mount("/m", routes=[WebSocketRoute("/ws", ws)]), 1)]),
        1,
    )
    app = Starlette(routes=[Mount("/r", app=router)])
    app.max_body_size = 1
    with test_client_factory(app) as client, client.websocket_connect("/r/m/ws") as session:
        session.send_text("a long message")
        assert session.receive_text() == "a long message"


def test_no_limit_by_default(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", upload, methods=["POST"])])
    assert app.max_body_size is None
    assert Route("/", upload).max_body_size is None
    assert Router().max_body_size is None
    assert Mount("/m", app=app).max_body_size is None
    assert test_client_factory(app).post("/", content=b"x" * 100_000).text == "received 100000"


def test_streaming_response_is_unaffected(test_client_factory: TestClientFactory) -> None:
    async def stream(request: Request) -> Response:
        async def numbers() -> Any:
            for number in range(3):
                yield str(number)

        return StreamingResponse(numbers())

    route = with_max_body_size(Route("/", stream), 0)
    assert test_client_factory(Router([route])).get("/").text == "012"


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_invalid_limits_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="max_body_size must be a non-negative integer or None"):
        Route("/", upload).max_body_size = value
    with pytest.raises(ValueError):
        Starlette().max_body_size = value


def test_limit_can_be_removed_again() -> None:
    route = with_max_body_size(Route("/", upload), 5)
    assert route.max_body_size == 5
    route.max_body_size = None
    assert route.max_body_size is None


def test_with_max_body_size_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="WebSocketRoute does not support max_body_size"):
        with_max_body_size(WebSocketRoute("/", upload), 5)


def test_application_limit_cannot_change_after_start(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", upload)])
    test_client_factory(app).get("/")
    with pytest.raises(RuntimeError, match="Cannot change max_body_size after an application has started"):
        app.max_body_size = 10


@pytest.mark.anyio
async def test_other_messages_are_passed_through() -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "http.disconnect"
        await PlainTextResponse("disconnected")(scope, receive, send)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    router = Router([with_max_body_size(Route("/", AsgiApp(app)), 1)])
    await router(http_scope("/"), receive, send)
    assert response_body(sent) == b"disconnected"


# --- The constructors' keyword (upstream 1.6) and its aliases ---------------------------------------------------


def test_the_keyword_is_upstreams() -> None:
    for cls in (Starlette, Router, Route, Mount):
        parameter = inspect.signature(cls).parameters["max_body_size"]
        assert (parameter.kind, parameter.default) == (inspect.Parameter.KEYWORD_ONLY, None)


def test_keyword_attribute_and_with_max_body_size_are_one_setting() -> None:
    route = Route("/", upload, max_body_size=5)
    assert route.max_body_size == 5
    route.max_body_size = 7
    assert with_max_body_size(route, 9).max_body_size == 9
    assert Mount("/m", routes=[], max_body_size=3).max_body_size == 3
    assert Router(max_body_size=4).max_body_size == 4
    assert Starlette(max_body_size=6).max_body_size == 6


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_invalid_keyword_values_are_refused(value: Any) -> None:
    for build in (
        lambda: Route("/", upload, max_body_size=value),
        lambda: Mount("/m", routes=[], max_body_size=value),
        lambda: Router(max_body_size=value),
        lambda: Starlette(max_body_size=value),
    ):
        with pytest.raises(ValueError, match="max_body_size must be a non-negative integer or None"):
            build()


def test_keywords_nest_and_the_innermost_wins(test_client_factory: TestClientFactory) -> None:
    seen: list[object] = []

    async def recording(request: Request) -> Response:
        seen.append(request.scope[MAX_BODY_SIZE_SCOPE_KEY])
        return await upload(request)

    inner = Router([Route("/r", recording, methods=["POST"], max_body_size=1000)], max_body_size=50)
    app = Starlette(
        routes=[
            Route("/app", recording, methods=["POST"]),
            Mount("/m", app=inner, max_body_size=20),
            Mount("/n", routes=[Route("/r", recording, methods=["POST"])], max_body_size=30),
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/app", content=b"x" * 10).text == "received 10"
    assert client.post("/app", content=b"x" * 11).status_code == 413
    assert client.post("/m/r", content=b"x" * 500).text == "received 500"
    assert client.post("/n/r", content=chunks(10, 3)).text == "received 30"
    assert client.post("/n/r", content=chunks(10, 4)).status_code == 413
    assert seen == [10, 1000, 30, 30]


def test_the_middleware_and_the_keyword_are_one_mechanism(test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        routes=[Route("/", upload, methods=["POST"]), Route("/big", upload, methods=["POST"], max_body_size=100)],
        middleware=[Middleware(RequestBodyLimitMiddleware, max_body_size=10)],
    )
    client = test_client_factory(app)
    assert client.post("/", content=b"x" * 11).status_code == 413
    assert client.post("/big", content=b"x" * 50).text == "received 50"  # the route's limit replaces the middleware's


def test_the_application_limit_is_the_middleware_outside_user_middleware(
    test_client_factory: TestClientFactory,
) -> None:
    seen: list[object] = []

    class Sees:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope.get(MAX_BODY_SIZE_SCOPE_KEY))
            await self.app(scope, receive, send)

    app = Starlette(routes=[Route("/", upload, methods=["POST"])], middleware=[Middleware(Sees)], max_body_size=10)
    assert test_client_factory(app).post("/", content=b"x").text == "received 1"
    assert seen == [10]


def test_declared_body_over_the_limit_never_reaches_the_endpoint(test_client_factory: TestClientFactory) -> None:
    ran: list[str] = []

    class RouteMiddleware:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            ran.append("route middleware")  # pragma: no cover - refused before it
            await self.app(scope, receive, send)  # pragma: no cover

    async def side_effect(request: Request) -> Response:
        ran.append("endpoint")  # pragma: no cover - refused before it
        return PlainTextResponse("no")  # pragma: no cover

    app = Starlette(
        routes=[
            Route("/", side_effect, methods=["POST"]),
            Route("/own", side_effect, methods=["POST"], max_body_size=5, middleware=[Middleware(RouteMiddleware)]),
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/", content=b"x" * 11).status_code == 413
    assert client.post("/own", content=b"x" * 6).status_code == 413
    assert ran == []


def test_any_other_response_to_a_declared_body_over_the_limit_is_413(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/slash/", upload, methods=["POST"])], max_body_size=10)
    client = test_client_factory(app, follow_redirects=False)
    for method, path, usual in [("POST", "/missing", 404), ("PUT", "/slash/", 405), ("POST", "/slash", 307)]:
        assert client.request(method, path, content=b"x").status_code == usual
        response = client.request(method, path, content=b"x" * 11)
        assert (response.status_code, response.text) == (413, "Content Too Large")


def test_a_route_limit_alone_in_an_application(test_client_factory: TestClientFactory) -> None:
    def custom(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("custom", status_code=413)

    app = Starlette(routes=[Route("/", upload, methods=["POST"], max_body_size=3)], exception_handlers={413: custom})
    client = test_client_factory(app)
    assert client.post("/", content=chunks(2, 2)).text == "custom"
    assert client.post("/", content=b"xxxx").text == "custom"
    assert client.post("/", content=b"xxx").text == "received 3"
    assert client.put("/", content=b"xxxx").status_code == 405  # the route's limit is for what it serves


def test_a_route_limit_in_a_bare_router_answers_plainly(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(Router([Route("/", upload, methods=["POST"], max_body_size=3)])).post(
        "/", content=chunks(2, 2)
    )
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert response.headers["connection"] == "close"
