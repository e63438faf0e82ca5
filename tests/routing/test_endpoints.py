from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message
from starlette_core.websockets import WebSocket
from starlette_routing.applications import Starlette
from starlette_routing.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette_routing.routing import Route, Router, WebSocketRoute
from tests.routing._asgi import call, http_scope, response_body, response_start

TestClientFactory = Callable[..., Any]


class Homepage(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        username = request.path_params.get("username")
        return PlainTextResponse("Hello, world!" if username is None else f"Hello, {username}!")

    def post(self, request: Request) -> Response:  # a sync handler runs in the thread pool
        return PlainTextResponse("posted")

    async def _do_delete(self, request: Request) -> Response:  # pragma: no cover - must never be reachable
        return PlainTextResponse("private")


router = Router([Route("/", endpoint=Homepage), Route("/{username}", endpoint=Homepage)])


def test_http_endpoint_route(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(router)
    assert client.get("/").text == "Hello, world!"
    assert client.get("/tomchristie").text == "Hello, tomchristie!"
    assert client.post("/").text == "posted"


def test_http_endpoint_head_falls_back_to_get(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(router).head("/")
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["content-length"] == "13"


def test_http_endpoint_own_head(test_client_factory: TestClientFactory) -> None:
    class WithHead(HTTPEndpoint):
        async def get(self, request: Request) -> Response:  # pragma: no cover - head takes precedence
            return PlainTextResponse("get")

        async def head(self, request: Request) -> Response:
            return PlainTextResponse("", headers={"x-head": "yes"})

    response = test_client_factory(Router([Route("/", WithHead)])).head("/")
    assert response.headers["x-head"] == "yes"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "FOO", "DISPATCH", "_DO_DELETE", "__INIT__"])
def test_http_endpoint_method_not_allowed(test_client_factory: TestClientFactory, method: str) -> None:
    response = test_client_factory(router).request(method, "/")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, POST"  # HEAD: answered by get, as upstream 1.x


@pytest.mark.anyio
@pytest.mark.parametrize(
    "method",
    [
        *("delete", "get", "Get", "dispatch", "DISPATCH", "_do_delete", "method_not_allowed"),
        *("SEND", "Receive", "scope", "__INIT__", "DO_DELETE", ""),
    ],
)
async def test_http_endpoint_never_reaches_other_attributes(method: str) -> None:
    # A method that is not one of the standard ones (in upper case, as HTTP spells them) is a 405, whatever
    # attribute its name in lower case would name (upstream 0.47.3 called it with the request).
    messages = await call(router, http_scope("/", method=method))
    status, headers = response_start(messages)
    assert status == 405
    assert headers["allow"] == "GET, HEAD, POST"  # HEAD: answered by get, as upstream 1.x
    assert response_body(messages) == b"Method Not Allowed"


def test_http_endpoint_head_without_get(test_client_factory: TestClientFactory) -> None:
    class PostOnly(HTTPEndpoint):
        async def post(self, request: Request) -> Response:  # pragma: no cover - not requested
            return PlainTextResponse("post")

    response = test_client_factory(Router([Route("/", PostOnly)])).head("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_http_endpoint_inside_an_app_raises_http_exception(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        seen.append((exc.status_code, exc.headers))
        return PlainTextResponse("nope", status_code=405)

    app = Starlette(routes=[Route("/", Homepage)], exception_handlers={405: handler})
    response = test_client_factory(app).put("/")
    assert (response.status_code, response.text) == (405, "nope")
    assert seen == [(405, {"Allow": "GET, HEAD, POST"})]


def test_http_endpoint_can_be_awaited_directly(test_client_factory: TestClientFactory) -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await Homepage(scope, receive, send)

    assert test_client_factory(asgi).get("/").text == "Hello, world!"


def test_http_endpoint_requires_http_scope() -> None:
    with pytest.raises(AssertionError):
        Homepage({"type": "websocket"}, None, None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ WebSocketEndpoint


def test_websocket_endpoint_on_connect(test_client_factory: TestClientFactory) -> None:
    class WebSocketApp(WebSocketEndpoint):
        async def on_connect(self, websocket: WebSocket) -> None:
            assert websocket["subprotocols"] == ["soap", "wamp"]
            await websocket.accept(subprotocol="wamp")

    client = test_client_factory(Router([WebSocketRoute("/ws", WebSocketApp)]))
    with client.websocket_connect("/ws", subprotocols=["soap", "wamp"]) as websocket:
        assert websocket.accepted_subprotocol == "wamp"


def echo_router(endpoint_encoding: Any) -> Router:
    class Echo(WebSocketEndpoint):
        encoding = endpoint_encoding

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            if isinstance(data, bytes):
                await websocket.send_bytes(b"Message bytes was: " + data)
            elif isinstance(data, str):
                await websocket.send_text(f"Message text was: {data}")
            else:
                await websocket.send_json({"message": data})

    return Router([WebSocketRoute("/ws", Echo)])


def test_websocket_endpoint_on_receive_text(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_router("text"))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("Hello, world!")
        assert websocket.receive_text() == "Message text was: Hello, world!"

    with (
        pytest.raises(RuntimeError, match=re.escape("Expected text websocket messages, but got bytes")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_bytes(b"Hello world")
        websocket.receive_text()


def test_websocket_endpoint_on_receive_bytes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_router("bytes"))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_bytes(b"Hello, world!")
        assert websocket.receive_bytes() == b"Message bytes was: Hello, world!"

    with (
        pytest.raises(RuntimeError, match=re.escape("Expected bytes websocket messages, but got text")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_text("Hello world")
        websocket.receive_bytes()


def test_websocket_endpoint_on_receive_json(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_router("json"))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_json({"hello": "world"})
        assert websocket.receive_json() == {"message": {"hello": "world"}}
        websocket.send_json({"hello": "bytes"}, mode="binary")
        assert websocket.receive_json() == {"message": {"hello": "bytes"}}

    with (
        pytest.raises(RuntimeError, match=re.escape("Malformed JSON data received.")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_text("Hello world")
        websocket.receive_json()

    with (
        pytest.raises(RuntimeError, match=re.escape("Malformed JSON data received.")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_bytes(b"\xff\xfe not utf-8")
        websocket.receive_json()


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [("text", {"type": "websocket.receive", "bytes": b"x"}), ("json", {"type": "websocket.receive", "text": "{"})],
)
def test_websocket_endpoint_decode_errors_close_with_1003(
    test_client_factory: TestClientFactory, encoding: str, payload: dict[str, Any]
) -> None:
    client = test_client_factory(echo_router(encoding))
    with pytest.raises(RuntimeError), client.websocket_connect("/ws") as websocket:
        websocket.send(payload)
        message = websocket.receive()
        assert message == {"type": "websocket.close", "code": 1003, "reason": ""}
        websocket.receive()


def test_websocket_endpoint_without_encoding(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_router(None))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("Hello, world!")
        assert websocket.receive_text() == "Message text was: Hello, world!"
        websocket.send_text("")
        assert websocket.receive_text() == "Message text was: "
        websocket.send_bytes(b"Hello, world!")
        assert websocket.receive_bytes() == b"Message bytes was: Hello, world!"


def test_websocket_endpoint_unsupported_encoding(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_router("xml"))
    with (
        pytest.raises(AssertionError, match=re.escape("Unsupported 'encoding' attribute xml")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_text("<x/>")
        websocket.receive_text()


def test_websocket_endpoint_on_disconnect(test_client_factory: TestClientFactory) -> None:
    codes: list[int] = []

    class WebSocketApp(WebSocketEndpoint):
        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            codes.append(close_code)

    client = test_client_factory(Router([WebSocketRoute("/ws", WebSocketApp)]))
    with client.websocket_connect("/ws") as websocket:
        websocket.close(code=2002)
    with client.websocket_connect("/ws") as websocket:
        websocket.send({"type": "websocket.disconnect"})
    assert codes == [2002, 1000]


def test_websocket_endpoint_error_reports_1011(test_client_factory: TestClientFactory) -> None:
    codes: list[int] = []

    class Failing(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            raise ValueError("boom")

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            codes.append(close_code)

    client = test_client_factory(Router([WebSocketRoute("/ws", Failing)]))
    with pytest.raises(ValueError, match="boom"), client.websocket_connect("/ws") as websocket:
        websocket.send_text("x")
        websocket.receive()
    assert codes == [1011]


def test_websocket_endpoint_requires_websocket_scope() -> None:
    with pytest.raises(AssertionError):
        WebSocketEndpoint({"type": "http"}, None, None)  # type: ignore[arg-type]


def test_default_hooks_do_nothing(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([WebSocketRoute("/ws", WebSocketEndpoint)]))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("ignored")
        websocket.close()


def test_allowed_methods_can_be_overridden(test_client_factory: TestClientFactory) -> None:
    class Custom(HTTPEndpoint):
        def __init__(self, scope: Any, receive: Any, send: Any) -> None:
            super().__init__(scope, receive, send)
            self._allowed_methods = ["GET", "REPORT"]

        async def get(self, request: Request) -> Response:  # pragma: no cover - not requested
            return PlainTextResponse("get")

    response = test_client_factory(Router([Route("/", Custom)])).post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, REPORT"


class WebDAV(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("get")

    async def propfind(self, request: Request) -> Response:
        return PlainTextResponse("propfind")

    def render_admin(self, request: Request) -> Response:  # a helper method, not a handler
        return PlainTextResponse("admin page")


@pytest.mark.parametrize("method", ["PROPFIND", "RENDER_ADMIN", "MKCOL", "propfind"])
def test_http_endpoint_answers_other_methods_with_405(test_client_factory: TestClientFactory, method: str) -> None:
    # Only the standard methods are dispatched, as upstream 1.x: a client's method never chooses which of the
    # endpoint's methods runs (0.47.3 called ``render_admin`` for RENDER_ADMIN).
    response = test_client_factory(Router([Route("/", WebDAV, methods=None)])).request(method, "/")
    assert (response.status_code, response.text) == (405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, HEAD"


class DAVEndpoint(WebDAV):
    async def dispatch(self) -> None:
        # An endpoint that answers another method overrides dispatch, as the comment in endpoints.py says.
        if self.scope["method"] == "PROPFIND":
            response = await self.propfind(Request(self.scope, self.receive))
            await response(self.scope, self.receive, self.send)
        else:
            await super().dispatch()


def test_http_endpoint_other_methods_through_an_overridden_dispatch(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/", DAVEndpoint, methods=None)]))
    assert client.request("PROPFIND", "/").text == "propfind"
    assert client.get("/").text == "get"
    assert client.request("RENDER_ADMIN", "/").status_code == 405


@pytest.mark.anyio
async def test_websocket_endpoint_rejected_in_on_connect_waits_for_the_disconnect() -> None:
    # on_connect closes without accepting: the "websocket.connect" it did not read is skipped, and on_disconnect gets
    # the code of the server's disconnect (as upstream), not an immediate 1000.
    log: list[Any] = []

    class Rejecting(WebSocketEndpoint):
        async def on_connect(self, websocket: WebSocket) -> None:
            await websocket.close(4003)

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            log.append(("on_disconnect", close_code))

    messages: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1006}]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        log.append(("sent", message))

    await Rejecting({"type": "websocket", "path": "/", "headers": [], "query_string": b""}, receive, send)
    assert log == [("sent", {"type": "websocket.close", "code": 4003, "reason": ""}), ("on_disconnect", 1006)]
    assert messages == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("frame", "data"), [({"text": ""}, ""), ({"bytes": b""}, b""), ({"text": "", "bytes": None}, "")]
)
async def test_websocket_endpoint_without_encoding_takes_an_empty_frame_as_it_is(
    frame: dict[str, Any], data: Any
) -> None:
    # (Upstream reads message["bytes"] for an empty text frame: a KeyError and a 1011 close.)
    received: list[Any] = []

    class Raw(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            received.append(data)

    messages: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", **frame},
        {"type": "websocket.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        pass

    await Raw({"type": "websocket", "path": "/", "headers": [], "query_string": b""}, receive, send)
    assert received == [data]
    assert type(received[0]) is type(data)
