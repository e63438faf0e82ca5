"""Benchmark applications and the requests that drive them.

Written only against the public ``starlette.*`` API, so the very same code runs on the
reference implementation (``starlette==0.47.3`` from PyPI) and on our meta-package.

Every scenario is a function returning ``(app, request)`` where ``request`` describes one
request (or, for WebSockets, one session) as plain data; the worker turns it into an ASGI
scope and a ``receive`` channel.
"""

from __future__ import annotations

import json
import typing
import urllib.parse

from peers.common import (  # the requests, shared with the peers
    BOUNDARY,
    FORM_FIELDS,
    JSON_DOC,
    QUERY,
    QUERY_HEADERS,
    multipart_body,
    req,
)

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

Scope = typing.MutableMapping[str, typing.Any]
Receive = typing.Callable[[], typing.Awaitable[typing.MutableMapping[str, typing.Any]]]
Send = typing.Callable[[typing.MutableMapping[str, typing.Any]], typing.Awaitable[None]]

# --------------------------------------------------------------------------- endpoints


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


async def item(request: Request) -> Response:
    return JSONResponse({"name": request.path_params["name"], "id": request.path_params["id"]})


async def echo_json(request: Request) -> Response:
    data = await request.json()
    return JSONResponse(data)


async def echo_form(request: Request) -> Response:
    async with request.form() as form:
        return JSONResponse({key: form[key] for key in form})


async def upload(request: Request) -> Response:
    async with request.form() as form:
        file = form["file"]
        assert not isinstance(file, str)
        data = await file.read()
        return JSONResponse({"filename": file.filename, "size": len(data), "note": form["note"]})


async def inspect(request: Request) -> Response:
    query = request.query_params
    headers = request.headers
    cookies = request.cookies
    return JSONResponse(
        {
            "q": query["q"],
            "tags": query.getlist("tag"),
            "page": int(query.get("page", "1")),
            "agent": headers["user-agent"],
            "lang": headers.get("accept-language"),
            "trace": headers.get("x-trace-id"),
            "session": cookies.get("session"),
            "theme": cookies.get("theme"),
        }
    )


async def stream(request: Request) -> Response:
    async def chunks() -> typing.AsyncIterator[bytes]:
        for _ in range(16):
            yield b"x" * 1024

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


# --------------------------------------------------------------------------- middleware


class CustomHeaderMiddleware:
    """A typical hand-written pure-ASGI middleware: adds a response header."""

    def __init__(self, app: typing.Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: typing.MutableMapping[str, typing.Any]) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("x-custom", "1")
            await send(message)

        await self.app(scope, receive, send_wrapper)


class TimingMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: typing.Any) -> Response:
        response: Response = await call_next(request)
        response.headers["x-processed"] = "1"
        return response


# --------------------------------------------------------------------------- scenarios


def dynamic_routes(count: int) -> list[Route]:
    return [Route(f"/r{i}/{{name}}/{{id:int}}", item, name=f"item{i}") for i in range(count)]


def s_hello() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=[Route("/", hello)]), req("/")


def s_params_20() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=dynamic_routes(20)), req("/r19/widget/42")


def s_params_200() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=dynamic_routes(200)), req("/r199/widget/42")


def s_middleware4() -> tuple[typing.Any, dict[str, typing.Any]]:
    app = Starlette(
        routes=[Route("/", hello)],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"]),
            Middleware(CORSMiddleware, allow_origins=["https://app.example.org"], allow_methods=["GET", "POST"]),
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(CustomHeaderMiddleware),
        ],
    )
    headers = [(b"origin", b"https://app.example.org"), (b"accept-encoding", b"gzip, deflate")]
    return app, req("/", headers=headers)


def s_basehttp() -> tuple[typing.Any, dict[str, typing.Any]]:
    app = Starlette(routes=[Route("/", hello)], middleware=[Middleware(TimingMiddleware)])
    return app, req("/")


def s_json_body() -> tuple[typing.Any, dict[str, typing.Any]]:
    body = json.dumps(JSON_DOC).encode()
    headers = [(b"content-type", b"application/json")]
    return Starlette(routes=[Route("/echo", echo_json, methods=["POST"])]), req(
        "/echo", method="POST", headers=headers, body=body
    )


def s_form() -> tuple[typing.Any, dict[str, typing.Any]]:
    body = urllib.parse.urlencode(FORM_FIELDS).encode()
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    return Starlette(routes=[Route("/form", echo_form, methods=["POST"])]), req(
        "/form", method="POST", headers=headers, body=body
    )


def s_params_2000() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=dynamic_routes(2000)), req("/r1999/widget/42")


def s_query_headers() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=[Route("/inspect", inspect)]), req("/inspect", query=QUERY, headers=QUERY_HEADERS)


def s_upload() -> tuple[typing.Any, dict[str, typing.Any]]:
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    return Starlette(routes=[Route("/upload", upload, methods=["POST"])]), req(
        "/upload", method="POST", headers=headers, body=multipart_body(BOUNDARY)
    )


def s_streaming() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=[Route("/stream", stream)]), req("/stream")


def s_websocket() -> tuple[typing.Any, dict[str, typing.Any]]:
    return Starlette(routes=[WebSocketRoute("/ws", ws_echo)]), req("/ws", kind="websocket", messages=10)


# name -> (builder, what the rate counts)
SCENARIOS: dict[str, tuple[typing.Callable[[], tuple[typing.Any, dict[str, typing.Any]]], str]] = {
    "hello": (s_hello, "req/s"),
    "params_20": (s_params_20, "req/s"),
    "params_200": (s_params_200, "req/s"),
    "params_2000": (s_params_2000, "req/s"),  # only with run.py --scale (or --only)
    "middleware4": (s_middleware4, "req/s"),
    "basehttp": (s_basehttp, "req/s"),
    "json_body": (s_json_body, "req/s"),
    "form10": (s_form, "req/s"),
    "query_headers": (s_query_headers, "req/s"),
    "upload_1mib": (s_upload, "req/s"),
    "streaming": (s_streaming, "req/s"),
    "websocket": (s_websocket, "msg/s"),
}
