"""TestClient.websocket_connect and WebSocketTestSession, driven with raw ASGI applications."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

import anyio
import httpx
import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocketDisconnect
from starlette_testing.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession

TestClientFactory = Callable[..., TestClient]


async def accept(receive: Receive, send: Send, **extra: Any) -> None:
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept", **extra})


def echo_app(log: list[Message]) -> Callable[..., Any]:
    """Accepts, then echoes every frame back until the client disconnects."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        while True:
            message = await receive()
            log.append(message)
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", **{k: v for k, v in message.items() if k != "type"}})

    return app


def test_websocket_scope(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await accept(receive, send)

    client = test_client_factory(app, root_path="/root", headers={"x-default": "d"}, cookies={"c": "1"})
    with client.websocket_connect("/chat%20room?token=abc", subprotocols=["wamp", " soap"], headers={"x-a": "b"}):
        pass
    (scope,) = scopes
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/chat room"
    assert scope["raw_path"] == b"/chat%20room"
    assert scope["root_path"] == "/root"
    assert scope["query_string"] == b"token=abc"
    assert scope["server"] == ["testserver", 80]
    assert scope["client"] == ("testclient", 50000)
    assert scope["subprotocols"] == ["wamp", "soap"]
    assert scope["extensions"] == {"websocket.http.response": {}}
    assert scope["state"] == {}
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"testserver"
    assert headers[b"connection"] == b"upgrade"
    assert headers[b"sec-websocket-key"] == b"testserver=="
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"sec-websocket-protocol"] == b"wamp,  soap"
    assert headers[b"x-a"] == b"b"
    assert headers[b"x-default"] == b"d"
    assert headers[b"cookie"] == b"c=1"
    assert headers[b"user-agent"] == b"testclient"


def test_websocket_scope_without_subprotocols(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await accept(receive, send)

    with test_client_factory(app).websocket_connect("wss://example.org:9000/ws"):
        pass
    assert scopes[0]["subprotocols"] == []
    assert scopes[0]["scheme"] == "wss"
    assert scopes[0]["server"] == ["example.org", 9000]
    assert b"sec-websocket-protocol" not in dict(scopes[0]["headers"])


def test_accepted_subprotocol_and_extra_headers(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send, subprotocol="wamp", headers=[(b"x-server", b"yes")])

    with test_client_factory(app).websocket_connect("/", subprotocols=["wamp"]) as session:
        assert isinstance(session, WebSocketTestSession)
        assert session.accepted_subprotocol == "wamp"
        assert session.extra_headers == [(b"x-server", b"yes")]


def test_accept_without_subprotocol(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.accepted_subprotocol is None
        assert session.extra_headers is None


def test_send_and_receive(test_client_factory: TestClientFactory) -> None:
    log: list[Message] = []
    with test_client_factory(echo_app(log)).websocket_connect("/") as session:
        session.send_text("héllo")
        assert session.receive_text() == "héllo"
        session.send_bytes(b"\x00\x01")
        assert session.receive_bytes() == b"\x00\x01"
        session.send_json({"ü": [1, 2]})
        assert session.receive_json() == {"ü": [1, 2]}
        session.send_json({"b": True}, mode="binary")
        assert session.receive_json(mode="binary") == {"b": True}
        session.send({"type": "websocket.receive", "text": "raw"})
        assert session.receive() == {"type": "websocket.send", "text": "raw"}
    assert log[2] == {"type": "websocket.receive", "text": '{"ü":[1,2]}'}
    assert log[3] == {"type": "websocket.receive", "bytes": json.dumps({"b": True}).replace(" ", "").encode()}
    assert log[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": None}


def test_client_close_reaches_the_app(test_client_factory: TestClientFactory) -> None:
    log: list[Message] = []
    with test_client_factory(echo_app(log)).websocket_connect("/") as session:
        session.close(code=4001, reason="bye")
    assert log[0] == {"type": "websocket.disconnect", "code": 4001, "reason": "bye"}


def test_server_close_raises_websocket_disconnect(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        await send({"type": "websocket.send", "text": "last"})
        await send({"type": "websocket.close", "code": 4003, "reason": "forbidden"})
        await receive()

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_text() == "last"
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert info.value.code == 4003
    assert info.value.reason == "forbidden"


def test_server_close_defaults(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        await send({"type": "websocket.close"})

    with test_client_factory(app).websocket_connect("/") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_bytes()
    assert (info.value.code, info.value.reason) == (1000, "")


def test_close_before_accept(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008, "reason": "policy"})

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(app).websocket_connect("/"):
        pytest.fail("the session must not open")  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1008, "policy")
    assert not isinstance(info.value, WebSocketDenialResponse)


def test_app_returning_without_accepting(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    with pytest.raises(WebSocketDisconnect) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_app_returning_after_accept(test_client_factory: TestClientFactory) -> None:
    """Once the app is done, reads see a normal close and writes are dropped: never a hang."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        await send({"type": "websocket.send", "text": "only"})

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_text() == "only"
        session.send_text("nobody listens")
        assert session.receive() == {"type": "websocket.close", "code": 1000, "reason": ""}
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_json()
    assert info.value.code == 1000


def test_exception_before_accept_is_raised(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError("before accept")

    with pytest.raises(KeyError, match="before accept"):
        test_client_factory(app).websocket_connect("/").__enter__()


def test_exception_after_accept_is_raised(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        await receive()
        raise ValueError("after accept")

    with pytest.raises(ValueError, match="after accept"), test_client_factory(app).websocket_connect("/") as session:
        session.send_text("trigger")
        session.receive_text()


def test_exception_raised_on_exit(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        raise ValueError("unnoticed until exit")

    with pytest.raises(ValueError, match="unnoticed until exit"), test_client_factory(app).websocket_connect("/"):
        pass


def test_session_exit_stops_a_busy_app(test_client_factory: TestClientFactory) -> None:
    """An app that ignores the client's close is cancelled when the session ends."""
    cancelled: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(True)

    with test_client_factory(app).websocket_connect("/"):
        pass
    assert cancelled == [True]


def test_denial_response(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/plain"), (b"x-reason", b"auth")]
        await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"go ", "more_body": True})
        await send({"type": "websocket.http.response.body", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"away"})

    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover
    response = info.value
    assert isinstance(response, httpx.Response)
    assert isinstance(response, WebSocketDisconnect)
    assert response.status_code == 403
    assert response.headers["x-reason"] == "auth"
    assert response.text == "go away"


def test_denial_response_cut_short(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401})
        await send({"type": "websocket.http.response.body", "body": b"part", "more_body": True})

    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover
    assert info.value.status_code == 401
    assert info.value.content == b"part"


def test_websocket_inside_client_context_shares_portal_and_state(test_client_factory: TestClientFactory) -> None:
    states: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            scope["state"]["db"] = "connected"
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        states.append(scope["state"])
        await accept(receive, send)
        await send({"type": "websocket.send", "text": "hi"})
        await receive()

    with test_client_factory(app) as client, client.websocket_connect("/") as session:
        assert session.portal is client.portal
        assert session.receive_text() == "hi"
    assert states == [{"db": "connected"}]
    assert states[0] is not client.app_state


def test_asgi2_websocket_app(test_client_factory: TestClientFactory) -> None:
    class App:
        def __init__(self, scope: Scope) -> None:
            self.scope = scope

        async def __call__(self, receive: Receive, send: Send) -> None:
            await accept(receive, send)
            await send({"type": "websocket.send", "text": self.scope["path"]})
            await receive()

    with test_client_factory(App).websocket_connect("/legacy") as session:
        assert session.receive_text() == "/legacy"


def test_websocket_connect_headers(test_client_factory: TestClientFactory) -> None:
    """Headers may be given as a mapping or a list; the caller's object is not modified."""
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await accept(receive, send)

    client = test_client_factory(app)
    given = {"Sec-WebSocket-Key": "custom=="}
    with client.websocket_connect("/", headers=given):
        pass
    with client.websocket_connect("/", headers=[("x-multi", "1"), ("x-multi", "2")]):
        pass
    assert given == {"Sec-WebSocket-Key": "custom=="}
    assert dict(scopes[0]["headers"])[b"sec-websocket-key"] == b"custom=="
    assert [value for key, value in scopes[1]["headers"] if key == b"x-multi"] == [b"1", b"2"]


def test_websocket_connect_to_http_url(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"not a websocket endpoint"})

    with pytest.raises(RuntimeError, match="Expected WebSocket upgrade"):
        test_client_factory(app).websocket_connect("http://testserver/")


def test_send_from_another_sessions_event_loop(test_client_factory: TestClientFactory) -> None:
    """Sessions of a client not used as a context manager run on separate portals; an application that sends to
    another connection (a chat broadcast) sends from a foreign event loop, and the waiting client must get it."""
    sends: dict[str, Send] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        sends[scope["path"]] = send
        message = await receive()
        if scope["path"] == "/b":
            await anyio.sleep(0.05)  # let the reader block in session a's receive first
            await sends["/a"]({"type": "websocket.send", "text": message["text"]})
            await receive()

    client = test_client_factory(app)
    received: list[str] = []
    with client.websocket_connect("/a") as session_a, client.websocket_connect("/b") as session_b:
        assert session_a.portal is not session_b.portal
        reader = threading.Thread(target=lambda: received.append(session_a.receive_text()))
        reader.start()
        session_b.send_text("broadcast")
        reader.join(timeout=5)
        assert received == ["broadcast"]


def test_send_to_a_session_whose_client_left(test_client_factory: TestClientFactory) -> None:
    sends: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await accept(receive, send)
        if scope["path"] == "/gone":
            sends.append(send)
            await receive()
            return
        await receive()
        try:
            await sends[0]({"type": "websocket.send", "text": "late"})
        except anyio.BrokenResourceError:
            await send({"type": "websocket.send", "text": "the other client left"})
        await receive()

    client = test_client_factory(app)
    with client.websocket_connect("/gone"):
        pass
    with client.websocket_connect("/") as session:
        session.send_text("go")
        assert session.receive_text() == "the other client left"
