"""The floor: hand-written ASGI callables, no framework.

Only the scenarios a bare callable answers without writing a framework: hello, json_body (json.loads and
json.dumps of the whole body), streaming and websocket. Routing, middleware, form and multipart parsing are a
framework's work, so those columns are "—".
"""

from __future__ import annotations

import json
import typing

from peers.common import CHUNK, HELLO, SPECS

Scope = typing.MutableMapping[str, typing.Any]
Receive = typing.Callable[[], typing.Awaitable[typing.MutableMapping[str, typing.Any]]]
Send = typing.Callable[[typing.MutableMapping[str, typing.Any]], typing.Awaitable[None]]
App = typing.Callable[[Scope, Receive, Send], typing.Awaitable[None]]

LIFESPAN = False


def hello_app() -> App:
    body = HELLO.encode()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")],
    }
    end = {"type": "http.response.body", "body": body}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start)
        await send(end)

    return app


def floor_app() -> App:
    """hello_app answering the lifespan protocol too: the floor served over the wire (worker.py serve bare)."""
    body = HELLO.encode()
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")],
    }
    end = {"type": "http.response.body", "body": body}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send(start)
        await send(end)

    return app


def json_app() -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        out = json.dumps(json.loads(body), separators=(",", ":")).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return app


def stream_app() -> App:
    headers = [(b"content-type", b"application/octet-stream")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(16):
            await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def ws_app() -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": message["text"]})

    return app


def scenario(build: typing.Callable[[], App], name: str) -> typing.Callable[[], tuple[App, dict[str, typing.Any]]]:
    return lambda: (build(), SPECS[name]())


SCENARIOS = {
    "hello": (scenario(hello_app, "hello"), "req/s"),
    "json_body": (scenario(json_app, "json_body"), "req/s"),
    "streaming": (scenario(stream_app, "streaming"), "req/s"),
    "websocket": (scenario(ws_app, "websocket"), "msg/s"),
}
