"""Several middlewares stacked, around plain, streaming and WebSocket apps (as an application would build them)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Sequence
from typing import Any, Callable

import anyio
import pytest

from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_middleware import Middleware
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette_middleware.cors import CORSMiddleware
from starlette_middleware.errors import ServerErrorMiddleware
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_middleware.gzip import GZipMiddleware
from starlette_middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette_middleware.sessions import SessionMiddleware
from starlette_middleware.trustedhost import TrustedHostMiddleware

from ._helpers import Recorder, http_scope, receiver

TestClientFactory = Callable[..., Any]

LINE = b"line of streamed text\n"


class Timing(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        request.state.seen_by_base = True
        response = await call_next(request)
        response.headers["X-Base"] = "1"
        return response


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        message = await websocket.receive_text()
        if message == "raise":
            raise WebSocketException(code=4000, reason="asked to")
        visits = websocket.session.get("visits", 0)
        await websocket.send_json({"echo": message, "visits": visits})
        await websocket.close()
        return

    request = Request(scope, receive)
    path = request.url.path
    if path == "/stream":

        async def lines() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield LINE

        response: Response = StreamingResponse(lines(), media_type="text/plain")
    elif path == "/count":
        request.session["visits"] = request.session.get("visits", 0) + 1
        response = JSONResponse(
            {"visits": request.session["visits"], "base": getattr(request.state, "seen_by_base", False)}
        )
    elif path == "/echo":
        response = Response(await request.body(), media_type="application/octet-stream")
    elif path == "/missing":
        raise HTTPException(404, detail="No such thing")
    elif path == "/crash":
        raise RuntimeError("crash")
    else:
        response = PlainTextResponse("x" * 1000)
    await response(scope, receive, send)


def build(middleware: Sequence[Middleware], app: ASGIApp = endpoint) -> ASGIApp:
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


FULL_STACK = [
    Middleware(ServerErrorMiddleware, debug=False),
    Middleware(TrustedHostMiddleware, allowed_hosts=["testserver", "*.example.org"]),
    Middleware(CORSMiddleware, allow_origins=["https://example.org"], allow_credentials=True),
    Middleware(GZipMiddleware, minimum_size=100),
    Middleware(SessionMiddleware, secret_key="stack-secret"),
    Middleware(Timing),
    Middleware(ExceptionMiddleware),
]


def test_full_stack_http(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build(FULL_STACK))
    headers = {"Origin": "https://example.org", "Accept-Encoding": "gzip"}

    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.text == "x" * 1000
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding, Origin"
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["x-base"] == "1"

    assert client.get("/count", headers=headers).json() == {"visits": 1, "base": True}
    assert client.get("/count", headers=headers).json() == {"visits": 2, "base": True}

    response = client.get("/missing", headers=headers)
    assert (response.status_code, response.text) == (404, "No such thing")
    assert response.headers["access-control-allow-origin"] == "https://example.org"

    response = client.options("/", headers={**headers, "Access-Control-Request-Method": "GET"})
    assert (response.status_code, response.text) == (200, "OK")

    response = client.post("/echo", content=b"posted body", headers=headers)
    assert response.content == b"posted body"


def test_full_stack_streaming_is_compressed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build(FULL_STACK))
    request = client.build_request("GET", "/stream", headers={"Accept-Encoding": "gzip"})
    response = client.send(request, stream=True)
    try:
        raw = b"".join(response.iter_raw())
    finally:
        response.close()
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers
    assert gzip.decompress(raw) == LINE * 100


def test_full_stack_rejects_bad_host_and_errors(test_client_factory: TestClientFactory) -> None:
    app = build(FULL_STACK)
    response = test_client_factory(app, base_url="http://evil.com").get("/")
    assert (response.status_code, response.text) == (400, "Invalid host header")

    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/crash", headers={"Origin": "https://example.org"})
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    with pytest.raises(RuntimeError, match="crash"):
        test_client_factory(app).get("/crash")


def test_full_stack_websocket(test_client_factory: TestClientFactory) -> None:
    stack = [Middleware(HTTPSRedirectMiddleware), *FULL_STACK]
    client = test_client_factory(build(stack), base_url="https://testserver")
    assert client.get("/count").json() == {"visits": 1, "base": True}

    with client.websocket_connect("wss://testserver/ws", headers={"Origin": "https://elsewhere"}) as websocket:
        websocket.send_text("hello")
        assert websocket.receive_json() == {"echo": "hello", "visits": 1}

    with client.websocket_connect("wss://testserver/ws") as websocket:
        websocket.send_text("raise")
        with pytest.raises(WebSocketDisconnect) as info:
            websocket.receive_text()
    assert (info.value.code, info.value.reason) == (4000, "asked to")


@pytest.mark.anyio
async def test_stack_passes_stream_chunks_through_without_buffering() -> None:
    """CORS, sessions, BaseHTTPMiddleware and exception handling: each chunk is out before the next is made."""
    released = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await released.wait()
        await send({"type": "http.response.body", "body": b"second", "more_body": False})

    stack = build(
        [
            Middleware(ServerErrorMiddleware),
            Middleware(CORSMiddleware, allow_origins=["*"]),
            Middleware(SessionMiddleware, secret_key="s"),
            Middleware(Timing),
            Middleware(Timing),
            Middleware(ExceptionMiddleware),
        ],
        app,
    )
    sent = Recorder()

    async def send(message: Message) -> None:
        await sent(message)
        if message.get("body") == b"first":
            released.set()

    scope = http_scope(headers=[(b"origin", b"https://example.org")])
    with anyio.fail_after(2):
        await stack(scope, receiver(), send)
    assert sent.body == b"firstsecond"
    assert sent.headers[b"access-control-allow-origin"] == b"*"
    assert sent.headers[b"x-base"] == b"1"


@pytest.mark.anyio
async def test_stack_with_a_chunked_request_body() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        await PlainTextResponse(f"got {len(body)}")(scope, receive, send)

    stack = build([Middleware(Timing), Middleware(GZipMiddleware), Middleware(Timing)], app)
    sent = Recorder()
    await stack(http_scope(method="POST"), receiver([b"abc", b"def"]), sent)
    assert sent.body == b"got 6"
