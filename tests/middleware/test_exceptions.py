"""ExceptionMiddleware: HTTPException and WebSocketException, handlers by status and by class, sync and async."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core._exception_handler import wrap_app_handling_exceptions
from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.exceptions import ExceptionMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope

TestClientFactory = Callable[..., Any]


class TeapotError(Exception):
    pass


class StrongTeapotError(TeapotError):
    pass


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Raises according to the path."""
    path = scope["path"]
    if path == "/not-found":
        raise HTTPException(404)
    if path == "/with-headers":
        raise HTTPException(401, detail="Who are you?", headers={"WWW-Authenticate": "Basic"})
    if path == "/no-content":
        raise HTTPException(204, headers={"X-Why": "nothing"})
    if path == "/not-modified":
        raise HTTPException(304)
    if path == "/teapot":
        raise TeapotError("short and stout")
    if path == "/strong-teapot":
        raise StrongTeapotError("very")
    if path == "/value":
        raise ValueError("unhandled")
    if path == "/late":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise HTTPException(400)
    await PlainTextResponse("ok")(scope, receive, send)


def test_http_exception_default_handler(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ExceptionMiddleware(app))
    assert client.get("/").text == "ok"
    response = client.get("/not-found")
    assert (response.status_code, response.text) == (404, "Not Found")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"

    response = client.get("/with-headers")
    assert (response.status_code, response.text) == (401, "Who are you?")
    assert response.headers["www-authenticate"] == "Basic"


def test_http_exception_without_body(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ExceptionMiddleware(app))
    response = client.get("/no-content")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["x-why"] == "nothing"
    assert "content-length" not in response.headers
    response = client.get("/not-modified")
    assert (response.status_code, response.content) == (304, b"")


def test_unhandled_exception_propagates(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(ValueError, match="unhandled"):
        test_client_factory(ExceptionMiddleware(app)).get("/value")


def test_handlers_by_class_and_status(test_client_factory: TestClientFactory) -> None:
    async def teapot(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"teapot: {exc}", status_code=418)

    def not_found(request: Request, exc: Exception) -> Response:  # sync: runs in the thread pool
        assert isinstance(exc, HTTPException)
        return JSONResponse({"missing": request.url.path, "status": exc.status_code}, status_code=404)

    client = test_client_factory(ExceptionMiddleware(app, handlers={TeapotError: teapot, 404: not_found}))
    response = client.get("/teapot")
    assert (response.status_code, response.text) == (418, "teapot: short and stout")
    # Subclasses use the nearest registered base class.
    assert client.get("/strong-teapot").text == "teapot: very"
    response = client.get("/not-found")
    assert response.json() == {"missing": "/not-found", "status": 404}
    # Other statuses still get the default HTTPException handler.
    assert client.get("/with-headers").text == "Who are you?"


def test_add_exception_handler(test_client_factory: TestClientFactory) -> None:
    middleware = ExceptionMiddleware(app, debug=True)
    assert middleware.debug is True

    async def value_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("value handled", status_code=422)

    async def http_exc(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("custom http", status_code=499)

    middleware.add_exception_handler(ValueError, value_error)
    middleware.add_exception_handler(HTTPException, http_exc)
    client = test_client_factory(middleware)
    assert client.get("/value").status_code == 422
    response = client.get("/not-found")
    assert (response.status_code, response.text) == (499, "custom http")


def test_add_exception_handler_needs_an_exception_class() -> None:
    async def handler(request: Request, exc: Exception) -> Response:  # pragma: no cover
        return Response()

    with pytest.raises(AssertionError):
        ExceptionMiddleware(app).add_exception_handler(str, handler)  # type: ignore[arg-type]


def test_handled_exception_after_response_started(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\."):
        test_client_factory(ExceptionMiddleware(app)).get("/late")


def test_scope_carries_the_handlers_for_routes(test_client_factory: TestClientFactory) -> None:
    """Routing wraps each endpoint with wrap_app_handling_exceptions, which finds the handlers in the scope."""

    async def teapot(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("from the scope", status_code=418)

    async def endpoint_app(scope: Scope, receive: Receive, send: Send) -> None:
        exception_handlers, status_handlers = scope["starlette.exception_handlers"]
        assert exception_handlers[TeapotError] is teapot
        assert status_handlers == {}
        request = Request(scope, receive, send)

        async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
            raise TeapotError()

        await wrap_app_handling_exceptions(endpoint, request)(scope, receive, send)
        # The route's wrapper handled it: nothing reached the middleware's own wrapper.

    middleware = ExceptionMiddleware(endpoint_app, handlers={TeapotError: teapot})
    response = test_client_factory(middleware).get("/")
    assert (response.status_code, response.text) == (418, "from the scope")


def test_websocket_exception_closes_with_code_and_reason(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise WebSocketException(code=1008, reason="Policy violated")

    client = test_client_factory(ExceptionMiddleware(ws_app))
    from starlette_core.websockets import WebSocketDisconnect

    with client.websocket_connect("/") as websocket, pytest.raises(WebSocketDisconnect) as info:
        websocket.receive_text()
    assert (info.value.code, info.value.reason) == (1008, "Policy violated")


def test_websocket_exception_before_accept(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        raise WebSocketException(code=1003)

    from starlette_core.websockets import WebSocketDisconnect

    client = test_client_factory(ExceptionMiddleware(ws_app))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.code == 1003


def test_custom_websocket_handler(test_client_factory: TestClientFactory) -> None:
    async def on_teapot(websocket: WebSocket, exc: Exception) -> None:
        await websocket.close(code=4418, reason=str(exc))

    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise TeapotError("ws teapot")

    from starlette_core.websockets import WebSocketDisconnect

    client = test_client_factory(ExceptionMiddleware(ws_app, handlers={TeapotError: on_teapot}))
    with client.websocket_connect("/") as websocket, pytest.raises(WebSocketDisconnect) as info:
        websocket.receive_text()
    assert (info.value.code, info.value.reason) == (4418, "ws teapot")


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[Scope] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(scope))

    await ExceptionMiddleware(lifespan_app)({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == [{"type": "lifespan"}]


@pytest.mark.anyio
async def test_handler_methods_directly() -> None:
    middleware = ExceptionMiddleware(app)
    request = Request(http_scope())
    response = await middleware.http_exception(request, HTTPException(409, "Conflict!", headers={"X-A": "b"}))
    assert (response.status_code, response.body, response.headers["x-a"]) == (409, b"Conflict!", "b")

    sent = Recorder()

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}  # pragma: no cover

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, sent)
    await middleware.websocket_exception(websocket, WebSocketException(1011, "internal"))
    assert sent.messages == [{"type": "websocket.close", "code": 1011, "reason": "internal"}]


def test_stacked_under_another_exception_middleware(test_client_factory: TestClientFactory) -> None:
    """The inner middleware's handlers are the ones the app's wrapper sees."""

    async def outer_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("outer", status_code=500)  # pragma: no cover

    async def inner_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("inner", status_code=418)

    inner: ASGIApp = ExceptionMiddleware(app, handlers={TeapotError: inner_handler})
    outer = ExceptionMiddleware(inner, handlers={TeapotError: outer_handler})
    assert test_client_factory(outer).get("/teapot").text == "inner"


def _websocket_scope() -> Scope:
    return {"type": "websocket", "path": "/", "headers": [], "query_string": b"", "subprotocols": []}


@pytest.mark.anyio
async def test_websocket_scope_gets_the_servers_send_unwrapped() -> None:
    """No websocket message starts an HTTP response, so there is nothing to track: the app gets the send itself."""
    server_send = Recorder()
    given: list[Send] = []

    async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
        given.append(send)
        await send({"type": "websocket.close", "code": 1000, "reason": ""})

    await ExceptionMiddleware(websocket_app)(_websocket_scope(), disconnected_receiver(), server_send)
    assert given == [server_send]
    assert server_send.types == ["websocket.close"]


@pytest.mark.anyio
async def test_websocket_handled_exception_after_a_raw_http_start_is_still_handled() -> None:
    """The one difference the untracked send makes (README, "Differences from upstream"): an app that sends
    "http.response.start" on a websocket (servers refuse it) and then raises a handled exception gets its handler's
    answer, where upstream raises "response already started"."""
    server_send = Recorder()

    async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise WebSocketException(4000, "after a raw start")

    await ExceptionMiddleware(websocket_app)(_websocket_scope(), disconnected_receiver(), server_send)
    assert server_send.messages[1:] == [{"type": "websocket.close", "code": 4000, "reason": "after a raw start"}]


@pytest.mark.anyio
async def test_websocket_unhandled_exception_propagates() -> None:
    async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("no handler for this")

    with pytest.raises(ValueError, match="no handler for this"):
        await ExceptionMiddleware(websocket_app)(_websocket_scope(), disconnected_receiver(), Recorder())
