"""starlette_core.websockets: the WebSocket state machine, data helpers, denial responses and WebSocketClose."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, Callable

import anyio
import pytest

from starlette_core.requests import HTTPConnection
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketClose, WebSocketDisconnect, WebSocketState
from starlette_testing.testclient import TestClient, WebSocketDenialResponse

TestClientFactory = Callable[..., TestClient]


def ws_app(handler: Callable[[WebSocket], Awaitable[None]]) -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await handler(WebSocket(scope, receive=receive, send=send))

    return app


class FakeConnection:
    """Scripted ASGI receive/send for driving a WebSocket without a client."""

    def __init__(self, *incoming: Message, extensions: dict[str, Any] | None = None) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []
        self.scope: Scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
        if extensions is not None:
            self.scope["extensions"] = extensions

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def websocket(self) -> WebSocket:
        return WebSocket(self.scope, self.receive, self.send)


CONNECT: Message = {"type": "websocket.connect"}


def runtime_error(message: str) -> Any:
    return pytest.raises(RuntimeError, match=re.escape(message))


def app_state(websocket: WebSocket) -> WebSocketState:
    """The application-side state, read through a call so that type checkers do not narrow it."""
    return websocket.application_state


def test_state_and_disconnect_basics() -> None:
    assert [state.name for state in WebSocketState] == ["CONNECTING", "CONNECTED", "DISCONNECTED", "RESPONSE"]
    default = WebSocketDisconnect()
    assert (default.code, default.reason) == (1000, "")
    custom = WebSocketDisconnect(4000, "gone")
    assert (custom.code, custom.reason) == (4000, "gone")
    assert isinstance(custom, Exception)


def test_websocket_is_an_http_connection() -> None:
    websocket = FakeConnection().websocket()
    assert isinstance(websocket, HTTPConnection)
    assert websocket.client_state is WebSocketState.CONNECTING
    assert app_state(websocket) is WebSocketState.CONNECTING
    assert websocket["path"] == "/ws"


def test_websocket_requires_websocket_scope() -> None:
    async def receive() -> Message:  # pragma: no cover
        return {}

    async def send(message: Message) -> None:  # pragma: no cover
        pass

    with pytest.raises(AssertionError):
        WebSocket({"type": "http"}, receive, send)


def test_url_headers_and_query_params(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {
                "url": str(websocket.url),
                "token": websocket.query_params["token"],
                "header": websocket.headers["x-test"],
            }
        )
        await websocket.close()

    client = test_client_factory(ws_app(handler))
    with client.websocket_connect("/room?token=abc", headers={"x-test": "yes"}) as session:
        assert session.receive_json() == {"url": "ws://testserver/room?token=abc", "token": "abc", "header": "yes"}


def test_echo_text_bytes_json(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("got " + await websocket.receive_text())
        await websocket.send_bytes(b"got " + await websocket.receive_bytes())
        await websocket.send_json({"got": await websocket.receive_json()})
        await websocket.send_json({"got": await websocket.receive_json(mode="binary")}, mode="binary")
        await websocket.close()

    with test_client_factory(ws_app(handler)).websocket_connect("/") as session:
        session.send_text("text")
        assert session.receive_text() == "got text"
        session.send_bytes(b"\xff")
        assert session.receive_bytes() == b"got \xff"
        session.send_json(["é"])
        assert session.receive_json() == {"got": ["é"]}
        session.send_json({"n": 1}, mode="binary")
        message = session.receive()
        assert message == {"type": "websocket.send", "bytes": b'{"got":{"n":1}}'}


def test_accept_with_subprotocol_and_headers(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="chat", headers=[(b"x-server", b"1")])
        await websocket.close()

    with test_client_factory(ws_app(handler)).websocket_connect("/", subprotocols=["chat"]) as session:
        assert session.accepted_subprotocol == "chat"
        assert session.extra_headers == [(b"x-server", b"1")]


@pytest.mark.anyio
async def test_accept_after_explicit_connect() -> None:
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    assert await websocket.receive() == CONNECT
    assert websocket.client_state is WebSocketState.CONNECTED
    await websocket.accept()
    assert app_state(websocket) is WebSocketState.CONNECTED
    assert connection.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]


def test_iterators_stop_on_disconnect(test_client_factory: TestClientFactory) -> None:
    results: dict[str, list[Any]] = {}

    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        kind = websocket.query_params["kind"]
        iterator = {"text": websocket.iter_text, "bytes": websocket.iter_bytes, "json": websocket.iter_json}[kind]
        results[kind] = [item async for item in iterator()]

    client = test_client_factory(ws_app(handler))
    with client.websocket_connect("/?kind=text") as session:
        session.send_text("a")
        session.send_text("b")
    with client.websocket_connect("/?kind=bytes") as session:
        session.send_bytes(b"a")
    with client.websocket_connect("/?kind=json") as session:
        session.send_json({"a": 1})
        session.send_json([2])
    assert results == {"text": ["a", "b"], "bytes": [b"a"], "json": [{"a": 1}, [2]]}


def test_client_disconnect_surfaces_as_websocket_disconnect(test_client_factory: TestClientFactory) -> None:
    caught: list[tuple[int, str]] = []

    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as exc:
            caught.append((exc.code, exc.reason))
        assert websocket.client_state is WebSocketState.DISCONNECTED

    with test_client_factory(ws_app(handler)).websocket_connect("/") as session:
        session.close(code=4001, reason="leaving")
    assert caught == [(4001, "leaving")]


@pytest.mark.anyio
async def test_disconnect_without_code_defaults_to_1000() -> None:
    connection = FakeConnection(CONNECT, {"type": "websocket.disconnect"})
    websocket = connection.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.receive_bytes()
    assert (info.value.code, info.value.reason) == (1000, "")


def test_server_close_reaches_client(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(code=4002, reason="done")
        assert app_state(websocket) is WebSocketState.DISCONNECTED

    session = test_client_factory(ws_app(handler)).websocket_connect("/")
    with session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert (info.value.code, info.value.reason) == (4002, "done")


def test_close_before_accept(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.close(code=1008)

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(ws_app(handler)).websocket_connect("/"):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1008, "")


def test_return_without_accept(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        pass

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(ws_app(handler)).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_exception_in_handler_is_raised(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.accept()
        data = await websocket.receive_text()
        raise RuntimeError(f"handler failed on {data}")

    session = test_client_factory(ws_app(handler)).websocket_connect("/")
    with pytest.raises(RuntimeError, match="handler failed on x"), session:
        session.send_text("x")
        session.receive_text()


def test_websocket_close_app(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WebSocketClose(code=1001, reason="shutting down"))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/"):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1001, "shutting down")
    default = WebSocketClose()
    assert (default.code, default.reason) == (1000, "")


def test_denial_response(test_client_factory: TestClientFactory) -> None:
    async def handler(websocket: WebSocket) -> None:
        await websocket.send_denial_response(PlainTextResponse("not allowed", status_code=403, headers={"x-a": "1"}))
        assert app_state(websocket) is WebSocketState.DISCONNECTED

    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(ws_app(handler)).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.status_code == 403
    assert info.value.headers["x-a"] == "1"
    assert info.value.text == "not allowed"


@pytest.mark.anyio
async def test_denial_response_renames_http_messages() -> None:
    """A response that sends plain "http.*" messages still reaches the client as "websocket.http.*"."""

    async def raw_response(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b"who?"})

    connection = FakeConnection(extensions={"websocket.http.response": {}})
    websocket = connection.websocket()
    await websocket.send_denial_response(raw_response)  # type: ignore[arg-type]
    assert connection.sent == [
        {"type": "websocket.http.response.start", "status": 401, "headers": []},
        {"type": "websocket.http.response.body", "body": b"who?"},
    ]
    assert app_state(websocket) is WebSocketState.DISCONNECTED


@pytest.mark.anyio
@pytest.mark.parametrize("extensions", [None, {}, {"http.response.debug": {}}])
async def test_denial_response_needs_the_extension(extensions: dict[str, Any] | None) -> None:
    connection = FakeConnection(extensions=extensions)
    websocket = connection.websocket()
    with runtime_error("The server doesn't support the Websocket Denial Response extension."):
        await websocket.send_denial_response(Response(status_code=403))
    assert connection.sent == []


@pytest.mark.anyio
async def test_denial_response_streamed_body() -> None:
    connection = FakeConnection(extensions={"websocket.http.response": {}})
    websocket = connection.websocket()
    await websocket.send({"type": "websocket.http.response.start", "status": 403, "headers": []})
    assert app_state(websocket) is WebSocketState.RESPONSE
    await websocket.send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
    assert app_state(websocket) is WebSocketState.RESPONSE
    await websocket.send({"type": "websocket.http.response.body", "body": b"b"})
    assert app_state(websocket) is WebSocketState.DISCONNECTED
    with runtime_error('Cannot call "send" once a close message has been sent.'):
        await websocket.send({"type": "websocket.http.response.body", "body": b"c"})


# --- misuse of the state machine -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_receive_expects_connect_first() -> None:
    websocket = FakeConnection({"type": "websocket.receive", "text": "early"}).websocket()
    with runtime_error("Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"):
        await websocket.receive()


@pytest.mark.anyio
async def test_receive_rejects_unknown_message_when_connected() -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.connect"}).websocket()
    await websocket.accept()
    with runtime_error(
        ('Expected ASGI message "websocket.receive" or "websocket.disconnect", but got \'websocket.connect\''),
    ):
        await websocket.receive()


@pytest.mark.anyio
async def test_receive_after_disconnect() -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.disconnect", "code": 1001}).websocket()
    await websocket.accept()
    assert (await websocket.receive())["type"] == "websocket.disconnect"
    with runtime_error('Cannot call "receive" once a disconnect message has been received.'):
        await websocket.receive()


@pytest.mark.anyio
async def test_send_rejects_data_before_accept() -> None:
    connection = FakeConnection()
    websocket = connection.websocket()
    with runtime_error(
        (
            'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", '
            "but got 'websocket.send'"
        ),
    ):
        await websocket.send_text("too early")
    assert connection.sent == []


@pytest.mark.anyio
async def test_send_rejects_unknown_message_when_connected() -> None:
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    await websocket.accept()
    with runtime_error('Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''):
        await websocket.accept()
    assert len(connection.sent) == 1


@pytest.mark.anyio
async def test_send_in_response_state_needs_body() -> None:
    websocket = FakeConnection().websocket()
    await websocket.send({"type": "websocket.http.response.start", "status": 403, "headers": []})
    with runtime_error("Expected ASGI message \"websocket.http.response.body\", but got 'websocket.send'"):
        await websocket.send_text("nope")


@pytest.mark.anyio
async def test_send_after_close() -> None:
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    await websocket.accept()
    await websocket.close(reason=None)
    assert connection.sent[-1] == {"type": "websocket.close", "code": 1000, "reason": ""}
    with runtime_error('Cannot call "send" once a close message has been sent.'):
        await websocket.send_text("late")


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_data_turns_a_disconnect_into_websocket_disconnect(method: str) -> None:
    disconnect = {"type": "websocket.disconnect", "code": 4003, "reason": "bye"}
    websocket = FakeConnection(CONNECT, disconnect).websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await getattr(websocket, method)()
    assert (info.value.code, info.value.reason) == (4003, "bye")
    assert websocket.client_state is WebSocketState.DISCONNECTED


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_data_needs_accept(method: str) -> None:
    websocket = FakeConnection(CONNECT, {"type": "websocket.receive", "text": "x"}).websocket()
    with runtime_error('WebSocket is not connected. Need to call "accept" first.'):
        await getattr(websocket, method)()
    assert websocket.client_state is WebSocketState.CONNECTING


@pytest.mark.anyio
async def test_json_mode_is_validated() -> None:
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    await websocket.accept()
    with runtime_error('The "mode" argument should be "text" or "binary".'):
        await websocket.receive_json(mode="xml")
    with runtime_error('The "mode" argument should be "text" or "binary".'):
        await websocket.send_json({}, mode="xml")
    assert len(connection.sent) == 1


@pytest.mark.anyio
async def test_send_failure_means_disconnect() -> None:
    """A server that cannot write any more (OSError) surfaces as WebSocketDisconnect(1006)."""
    connection = FakeConnection(CONNECT)
    websocket = connection.websocket()
    await websocket.accept()

    async def broken_send(message: Message) -> None:
        raise OSError("connection reset")

    websocket._send = broken_send
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.send_text("lost")
    assert info.value.code == 1006
    assert app_state(websocket) is WebSocketState.DISCONNECTED


@pytest.mark.anyio
async def test_concurrent_send_and_receive() -> None:
    """Receiving and sending are independent: a pending receive does not block sends."""
    send_stream, receive_stream = anyio.create_memory_object_stream[Message](10)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async with send_stream, receive_stream:
        websocket = WebSocket({"type": "websocket", "headers": []}, receive_stream.receive, send)
        await send_stream.send(CONNECT)
        await websocket.accept()
        received: list[str] = []
        async with anyio.create_task_group() as tg:

            async def reader() -> None:
                received.append(await websocket.receive_text())

            tg.start_soon(reader)
            await websocket.send_text("while waiting")
            await send_stream.send({"type": "websocket.receive", "text": "hello"})
    assert received == ["hello"]
    assert sent[-1] == {"type": "websocket.send", "text": "while waiting"}
