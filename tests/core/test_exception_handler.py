from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from starlette_core._exception_handler import (
    ExceptionHandlers,
    StatusHandlers,
    wrap_app_handling_exceptions,
)
from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class Boom(Exception):
    pass


class SubBoom(Boom):
    pass


def http_endpoint(exc: Exception, before: Callable[[Send], Any] | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if before is not None:
            await before(send)
        raise exc

    return app


def handling_app(
    inner: ASGIApp,
    exception_handlers: ExceptionHandlers | None = None,
    status_handlers: StatusHandlers | None = None,
    install: bool = True,
) -> ASGIApp:
    """Stands in for ExceptionMiddleware (puts the handlers in the scope) + routing (wraps the endpoint)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if install:
            scope["starlette.exception_handlers"] = (exception_handlers or {}, status_handlers or {})
        conn: Request | WebSocket
        if scope["type"] == "http":
            conn = Request(scope, receive, send)
        else:
            conn = WebSocket(scope, receive, send)
        await wrap_app_handling_exceptions(inner, conn)(scope, receive, send)

    return app


def test_status_handler_for_http_exception(test_client_factory: TestClientFactory) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return PlainTextResponse(f"custom {exc.status_code} {request.url.path}", status_code=exc.status_code)

    app = handling_app(http_endpoint(HTTPException(404)), status_handlers={404: not_found})
    response = test_client_factory(app).get("/missing")
    assert response.status_code == 404
    assert response.text == "custom 404 /missing"


def test_class_handler_for_http_exception(test_client_factory: TestClientFactory) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    app = handling_app(
        http_endpoint(HTTPException(403, headers={"x-reason": "nope"})),
        exception_handlers={HTTPException: http_error},
        status_handlers={404: http_error},
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}
    assert response.headers["x-reason"] == "nope"


def test_status_handler_wins_over_class_handler(test_client_factory: TestClientFactory) -> None:
    async def by_class(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("by class")  # pragma: no cover

    async def by_status(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("by status", status_code=418)

    app = handling_app(
        http_endpoint(HTTPException(418)),
        exception_handlers={HTTPException: by_class},
        status_handlers={418: by_status},
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 418
    assert response.text == "by status"


def test_status_handlers_do_not_apply_to_other_exceptions(test_client_factory: TestClientFactory) -> None:
    class HasStatus(Exception):
        status_code = 500

    async def by_status(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("by status")  # pragma: no cover

    app = handling_app(http_endpoint(HasStatus()), status_handlers={500: by_status})
    with pytest.raises(HasStatus):
        test_client_factory(app).get("/")


def test_exception_class_lookup_follows_the_mro(test_client_factory: TestClientFactory) -> None:
    async def boom_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"boom: {type(exc).__name__}", status_code=500)

    async def generic_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("generic", status_code=500)  # pragma: no cover

    handlers: ExceptionHandlers = {Exception: generic_handler, Boom: boom_handler}
    client = test_client_factory(handling_app(http_endpoint(SubBoom()), exception_handlers=handlers))
    assert client.get("/").text == "boom: SubBoom"

    client = test_client_factory(handling_app(http_endpoint(Boom()), exception_handlers={Exception: boom_handler}))
    assert client.get("/").text == "boom: Boom"


def test_unhandled_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def boom_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("boom")  # pragma: no cover

    app = handling_app(http_endpoint(KeyError("unhandled")), exception_handlers={Boom: boom_handler})
    with pytest.raises(KeyError, match="unhandled"):
        test_client_factory(app).get("/")


def test_unhandled_http_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("other")  # pragma: no cover

    app = handling_app(http_endpoint(HTTPException(400)), status_handlers={404: handler})
    with pytest.raises(HTTPException) as info:
        test_client_factory(app).get("/")
    assert info.value.status_code == 400


def test_without_handlers_in_scope_exceptions_propagate(test_client_factory: TestClientFactory) -> None:
    app = handling_app(http_endpoint(HTTPException(404)), install=False)
    with pytest.raises(HTTPException):
        test_client_factory(app).get("/")


def test_sync_handler_runs_in_thread_pool(test_client_factory: TestClientFactory) -> None:
    def sync_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"main thread: {on_main_thread()}", status_code=500)

    app = handling_app(http_endpoint(Boom()), exception_handlers={Boom: sync_handler})
    response = test_client_factory(app).get("/")
    assert response.status_code == 500
    assert response.text == "main thread: False"


def test_no_error_passes_through(test_client_factory: TestClientFactory) -> None:
    inner = PlainTextResponse("fine")

    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled")  # pragma: no cover

    response = test_client_factory(handling_app(inner, exception_handlers={Exception: handler})).get("/")
    assert response.text == "fine"


def test_handled_exception_after_response_started(test_client_factory: TestClientFactory) -> None:
    async def start(send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("too late")  # pragma: no cover

    app = handling_app(http_endpoint(Boom(), before=start), exception_handlers={Boom: handler})
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\.") as info:
        test_client_factory(app).get("/")
    assert isinstance(info.value.__cause__, Boom)


@pytest.mark.anyio
async def test_handler_response_is_sent_through_the_original_send() -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=400)

    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "starlette.exception_handlers": ({Boom: handler}, {}),
    }
    wrapped = wrap_app_handling_exceptions(http_endpoint(Boom()), Request(scope, receive, send))
    await wrapped(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"handled"


@pytest.mark.anyio
async def test_handler_returning_none_sends_nothing() -> None:
    sent: list[Message] = []
    seen: list[Exception] = []

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover

    async def receive() -> Message:
        return {"type": "http.disconnect"}  # pragma: no cover

    async def handler(request: Request, exc: Exception) -> None:
        seen.append(exc)

    error = Boom()
    scope: Scope = {"type": "http", "path": "/", "headers": [], "starlette.exception_handlers": ({Boom: handler}, {})}
    await wrap_app_handling_exceptions(http_endpoint(error), Request(scope, receive, send))(scope, receive, send)
    assert seen == [error]
    assert sent == []


@pytest.mark.anyio
async def test_messages_before_the_error_reach_send() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}  # pragma: no cover

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.debug", "info": {}})
        raise Boom

    async def handler(request: Request, exc: Exception) -> Response:
        return Response(b"", status_code=204)

    scope: Scope = {"type": "http", "path": "/", "headers": [], "starlette.exception_handlers": ({Boom: handler}, {})}
    await wrap_app_handling_exceptions(inner, Request(scope, receive, send))(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.debug", "http.response.start", "http.response.body"]


def websocket_endpoint(exc: Exception) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise exc

    return app


def test_websocket_handler_is_awaited_with_the_websocket(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def ws_handler(websocket: WebSocket, exc: Exception) -> None:
        assert isinstance(exc, WebSocketException)
        seen.append(websocket)
        await websocket.close(code=exc.code, reason=exc.reason)

    app = handling_app(
        websocket_endpoint(WebSocketException(1008, "policy")), exception_handlers={WebSocketException: ws_handler}
    )
    with test_client_factory(app).websocket_connect("/ws") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert info.value.code == 1008
    assert info.value.reason == "policy"
    assert len(seen) == 1
    assert isinstance(seen[0], WebSocket)


def test_sync_websocket_handler_runs_in_thread_pool(test_client_factory: TestClientFactory) -> None:
    threads: list[bool] = []

    def ws_handler(websocket: WebSocket, exc: Exception) -> None:
        threads.append(on_main_thread())

    async def close_after(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await websocket_endpoint(Boom())(scope, receive, send)
        finally:
            await send({"type": "websocket.close", "code": 1011, "reason": ""})

    app = handling_app(close_after, exception_handlers={Boom: ws_handler})  # type: ignore[dict-item]
    with test_client_factory(app).websocket_connect("/ws") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert info.value.code == 1011
    assert threads == [False]


def test_websocket_unhandled_exception_propagates(test_client_factory: TestClientFactory) -> None:
    app = handling_app(websocket_endpoint(Boom()))
    with pytest.raises(Boom), test_client_factory(app).websocket_connect("/ws") as session:
        session.receive_text()
