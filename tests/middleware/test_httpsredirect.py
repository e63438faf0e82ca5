"""HTTPSRedirectMiddleware: http -> https and ws -> wss with 307, default ports dropped, bad Host headers."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.httpsredirect import HTTPSRedirectMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope

TestClientFactory = Callable[..., Any]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("secure")
        await websocket.close()
        return
    await PlainTextResponse("OK")(scope, receive, send)


@pytest.mark.parametrize(
    ("base_url", "location"),
    [
        ("http://testserver", "https://testserver/path?a=1"),
        ("http://testserver:80", "https://testserver/path?a=1"),
        ("http://testserver:443", "https://testserver/path?a=1"),
        ("http://testserver:8080", "https://testserver:8080/path?a=1"),
        ("http://[::1]", "https://[::1]/path?a=1"),
        ("http://[::1]:8000", "https://[::1]:8000/path?a=1"),
    ],
)
def test_http_is_redirected(test_client_factory: TestClientFactory, base_url: str, location: str) -> None:
    client = test_client_factory(HTTPSRedirectMiddleware(app), base_url=base_url)
    response = client.get("/path?a=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location


def test_post_is_redirected_with_307(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(HTTPSRedirectMiddleware(app)).post("/form", content=b"x", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://testserver/form"


def test_https_passes_through(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(HTTPSRedirectMiddleware(app), base_url="https://testserver")
    response = client.get("/")
    assert (response.status_code, response.text) == (200, "OK")
    # Following the redirect from http ends there too.
    client = test_client_factory(HTTPSRedirectMiddleware(app))
    assert client.get("/").text == "OK"


def test_websocket_is_redirected_to_wss(test_client_factory: TestClientFactory) -> None:
    from starlette_testing.testclient import WebSocketDenialResponse

    client = test_client_factory(HTTPSRedirectMiddleware(app))
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("ws://testserver/ws"):
        pass  # pragma: no cover
    assert info.value.status_code == 307
    assert info.value.headers["location"] == "wss://testserver/ws"

    with client.websocket_connect("wss://testserver/ws") as websocket:
        assert websocket.receive_text() == "secure"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "host",
    [
        b"",
        b"testserver:abc",
        b"testserver:99999",
        b"[::1]:port",
        b"\xff\xfe",
        b"a b",
        b"evil.com/x",
        b"u@evil.com",
        b":80",
    ],
)
async def test_hostile_host_is_not_used(host: bytes) -> None:
    """A Host header that is not a plain host[:port] is ignored: the redirect goes to the server's own name."""
    sent = Recorder()
    scope = http_scope(path="/p", headers=[(b"host", host)], server=("backend.internal", 8000))
    await HTTPSRedirectMiddleware(app)(scope, disconnected_receiver(), sent)
    assert sent.start["status"] == 307
    assert sent.headers[b"location"] == b"https://backend.internal:8000/p"


@pytest.mark.anyio
async def test_no_host_at_all_is_a_400() -> None:
    sent = Recorder()
    scope = http_scope(headers=[(b"host", b"bad host")], server=None)
    await HTTPSRedirectMiddleware(app)(scope, disconnected_receiver(), sent)
    assert sent.start["status"] == 400
    assert sent.body == b"Invalid host header"


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await HTTPSRedirectMiddleware(lifespan_app)({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == ["lifespan"]
