"""The application the end-to-end tests serve with real servers, built from ``starlette.*`` imports only.

``build_app()`` returns a fresh app for every server so that the lifespan events, the streaming hand-shakes and the
WebSocket disconnect log of one test never leak into another. The test process talks to the app only over the
network, except through ``app.state`` (``E2EState``), which the endpoints write and the tests read.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

SESSION_SECRET = "e2e-session-secret"
STATIC_TEXT = "0123456789abcdefghijklmnopqrstuvwxyz\n" * 2  # 74 bytes: below GZip's minimum, so never compressed
BIG_TEXT = "All work and no play makes Jack a dull boy.\n" * 400  # compresses very well
MAX_BODY_SIZE = 1_000_000  # beyond upstream: request bodies over this many bytes are refused with 413
HANDSHAKE_TIMEOUT = 5.0  # seconds a streaming endpoint waits for the test before giving up (never reached when green)


@dataclass
class E2EState:
    """What the app records for the tests to assert on (written by the server thread, read by the test thread)."""

    events: list[str] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    stream_closed: threading.Event = field(default_factory=threading.Event)
    ws_disconnects: list[tuple[int, str | None]] = field(default_factory=list)
    ws_disconnected: threading.Event = field(default_factory=threading.Event)


def e2e_state(request: Request | WebSocket) -> E2EState:
    state: E2EState = request.app.state.e2e
    return state


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    record: E2EState = app.state.e2e
    record.events.append("startup")
    yield {"greeting": "hello from the lifespan", "hits": []}
    record.events.append("shutdown")


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


async def echo_json(request: Request) -> Response:
    payload = await request.json()
    return JSONResponse({"method": request.method, "received": payload, "query": dict(request.query_params)})


async def upload(request: Request) -> Response:
    async with request.form() as form:
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                fields[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": value.size,
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            else:
                fields[key] = value
    return JSONResponse(fields)


async def count_stream(request: Request) -> Response:
    size = chunks = 0
    digest = hashlib.sha256()
    async for chunk in request.stream():
        if chunk:
            chunks += 1
            size += len(chunk)
            digest.update(chunk)
    return JSONResponse({"size": size, "chunks": chunks, "sha256": digest.hexdigest()})


async def wait_for(event: threading.Event) -> bool:
    with anyio.move_on_after(HANDSHAKE_TIMEOUT):
        while not event.is_set():
            await anyio.sleep(0.005)
    return event.is_set()


async def stream(request: Request) -> Response:
    record = e2e_state(request)

    async def chunks() -> AsyncIterator[bytes]:
        record.produced.append("first")
        yield b"first chunk\n"
        released = await wait_for(record.release)
        record.produced.append("last")
        yield b"last chunk\n" if released else b"timed out\n"

    return StreamingResponse(chunks(), media_type="text/plain")


async def endless(request: Request) -> Response:
    record = e2e_state(request)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            for number in range(int(HANDSHAKE_TIMEOUT / 0.01)):
                yield f"tick {number}\n".encode()
                await anyio.sleep(0.01)
        finally:
            record.stream_closed.set()

    return StreamingResponse(chunks(), media_type="text/plain")


async def big(request: Request) -> Response:
    return PlainTextResponse(BIG_TEXT)


async def session_counter(request: Request) -> Response:
    count = request.session.get("count", 0) + 1
    request.session["count"] = count
    return JSONResponse({"count": count})


async def session_clear(request: Request) -> Response:
    request.session.clear()
    return JSONResponse({"cleared": True})


async def lifespan_state(request: Request) -> Response:
    greeting = request.state.greeting
    request.state.greeting = "changed by a request"  # must not leak into the next request's copy of the state
    request.state.hits.append(request.url.path)  # the objects inside the state are shared, though
    return JSONResponse({"greeting": greeting, "hits": len(request.state.hits)})


async def go_home(request: Request) -> Response:
    return RedirectResponse(request.url_for("home"))


async def see_other(request: Request) -> Response:
    return RedirectResponse("/echo-query?from=redirect", status_code=303)


async def echo_query(request: Request) -> Response:
    return JSONResponse(dict(request.query_params))


async def whoami(request: Request) -> Response:
    assert request.client is not None
    return JSONResponse(
        {
            "client_host": request.client.host,
            "client_port": request.client.port,
            "server": request.scope["server"],
            "url": str(request.url),
            "scheme": request.url.scheme,
            "http_version": request.scope["http_version"],
        }
    )


async def boom(request: Request) -> Response:
    raise RuntimeError("kaboom from the e2e app")


async def teapot(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="I am short and stout")


async def ws_echo(websocket: WebSocket) -> None:
    record = e2e_state(websocket)
    protocols = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol="echo" if "echo" in protocols else None)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                record.ws_disconnects.append((message.get("code", 1000), message.get("reason") or None))
                return
            if message.get("text") is not None:
                await websocket.send_text("echo: " + message["text"])
            else:
                await websocket.send_bytes(b"echo: " + message["bytes"])
    finally:
        record.ws_disconnected.set()


async def ws_json(websocket: WebSocket) -> None:
    mode = websocket.query_params.get("mode", "text")
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json(mode=mode)
            await websocket.send_json({"echo": data, "mode": mode}, mode=mode)
    except WebSocketDisconnect:
        pass


async def ws_close(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("closing")
    await websocket.close(code=4001, reason="bye from the server")


async def ws_guarded(websocket: WebSocket) -> None:
    if websocket.query_params.get("token") != "sesame":
        response = PlainTextResponse("no entry without a token", status_code=403, headers={"x-denied": "yes"})
        await websocket.send_denial_response(response)
        return
    await websocket.accept()
    await websocket.send_text("welcome")
    await websocket.close()


async def ws_reject(websocket: WebSocket) -> None:
    await websocket.close(code=1008)  # before accept(): the server answers the handshake with HTTP 403


def build_app(static_dir: Path, *, debug: bool = False) -> Starlette:
    routes = [
        Route("/", home, name="home"),
        Route("/json", echo_json, methods=["POST", "PUT"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/count-stream", count_stream, methods=["POST"]),
        Route("/stream", stream),
        Route("/endless", endless),
        Route("/big", big),
        Route("/session", session_counter),
        Route("/session/clear", session_clear, methods=["POST"]),
        Route("/state", lifespan_state),
        Route("/go-home", go_home),
        Route("/see-other", see_other, methods=["POST"]),
        Route("/echo-query", echo_query),
        Route("/slash", echo_query),
        Route("/whoami", whoami),
        Route("/boom", boom),
        Route("/teapot", teapot),
        WebSocketRoute("/ws/echo", ws_echo),
        WebSocketRoute("/ws/json", ws_json),
        WebSocketRoute("/ws/close", ws_close),
        WebSocketRoute("/ws/guarded", ws_guarded),
        WebSocketRoute("/ws/reject", ws_reject),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=SESSION_SECRET),
        Middleware(GZipMiddleware, minimum_size=500),
    ]
    app = Starlette(debug=debug, routes=routes, middleware=middleware, lifespan=lifespan)
    app.max_body_size = MAX_BODY_SIZE
    app.state.e2e = E2EState()
    return app


def write_static_files(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "letters.txt").write_text(STATIC_TEXT)
    (directory / "spaced ünïcode.txt").write_text("unicode file name\n")
    (directory / "page.html").write_text("<!doctype html><title>static</title><p>static page</p>\n")
    return directory
