"""A path that ends with a newline (``/a%0A`` decodes to ``"/a\\n"``) is routed as upstream's regexes route it:
their ``$`` also matches before a final newline, so ``Route("/a")`` matches ``"/a\\n"``; a ``{param}`` keeps the
newline in its value (``[^/]+`` takes it), an ``{int}`` or ``{path}`` does not (``[0-9]+`` and ``.*`` stop before
it). The route index (which files static paths in a dict) answers exactly as a scan of every route does.
Every expectation below is upstream 0.47.3's answer."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_routing.applications import Starlette
from starlette_routing.routing import Mount, Route, Router, WebSocketRoute


def named(name: str) -> Any:
    async def endpoint(request: Request) -> Response:
        params = {key: str(value) for key, value in request.path_params.items()}
        return JSONResponse({"route": name, "params": params})

    return endpoint


async def ws_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({key: str(value) for key, value in websocket.path_params.items()})
    await websocket.close()


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"route": "raw", "root_path": scope["root_path"]})(scope, receive, send)


def routes() -> list[Any]:
    return [
        Route("/a", named("a")),
        Route("/b/", named("b/")),
        Route("/p/{x}", named("p")),
        Route("/i/{n:int}", named("i")),
        Route("/path/{rest:path}", named("path")),
        Route("/u/{u:uuid}", named("u")),
        Mount("/m", routes=[Route("/", named("m/")), Route("/x", named("m/x"))]),
        Mount("/raw", app=raw_app),
        WebSocketRoute("/ws", ws_endpoint),
        WebSocketRoute("/wsp/{x}", ws_endpoint),
    ]


UUID = "12345678-1234-5678-1234-567812345678"
HTTP_CASES = [
    # (path, the status, and the route and its parameters or the mount's root_path)
    ("/a\n", 200, {"route": "a", "params": {}}),
    ("/a", 200, {"route": "a", "params": {}}),
    ("/a\n\n", 404, None),
    ("/a/\n", 404, None),
    ("\n", 404, None),
    ("/\n", 404, None),
    ("/b/\n", 200, {"route": "b/", "params": {}}),
    ("/b\n", 404, None),
    ("/p/v\n", 200, {"route": "p", "params": {"x": "v\n"}}),
    ("/p/\n", 200, {"route": "p", "params": {"x": "\n"}}),
    ("/i/5\n", 200, {"route": "i", "params": {"n": "5"}}),
    ("/path/x\n", 200, {"route": "path", "params": {"rest": "x"}}),
    ("/path/\n", 200, {"route": "path", "params": {"rest": ""}}),
    (f"/u/{UUID}\n", 200, {"route": "u", "params": {"u": UUID}}),
    ("/m\n", 404, None),
    ("/m/\n", 404, None),
    ("/m/x\n", 404, None),  # the mount matches, with root_path "/m/": its routes do not
    ("/raw/x\n", 200, {"route": "raw", "root_path": "/raw/"}),
    ("/raw/\n", 200, {"route": "raw", "root_path": "/raw/"}),
    ("/raw/a/b\n", 200, {"route": "raw", "root_path": "/raw/"}),
    ("/raw\n", 404, None),
]


async def http(app: Any, path: str) -> tuple[int, bytes]:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.replace("\n", "%0A").encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"example.org")],
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"], b"".join(message.get("body", b"") for message in messages[1:])


async def websocket(app: Any, path: str) -> list[Message]:
    scope: Scope = {"type": "websocket", "path": path, "root_path": "", "query_string": b"", "headers": []}
    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "status", "found"), HTTP_CASES)
@pytest.mark.parametrize("make", [Router, Starlette], ids=["Router", "Starlette"])
async def test_http(make: Any, path: str, status: int, found: Any) -> None:
    answer = await http(make(routes=routes()), path)
    assert answer[0] == status
    if found is not None:
        assert JSONResponse(found).body == answer[1]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "params"),
    [("/ws\n", {}), ("/ws", {}), ("/wsp/v\n", {"x": "v\n"}), ("/ws\n\n", None), ("/wsp/\n\n", {"x": "\n\n"})],
)
async def test_websocket(path: str, params: Any) -> None:
    sent = await websocket(Router(routes()), path)
    if params is None:
        assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    else:
        assert [message["type"] for message in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
        assert sent[1]["text"] == bytes(JSONResponse(params).body).decode()


@pytest.mark.anyio
async def test_a_catch_all_after_static_routes_keeps_the_newline() -> None:
    app = Router([Route("/a", named("a")), Route("/{anything}", named("catch"))])
    assert await http(app, "/a\n") == (200, JSONResponse({"route": "a", "params": {}}).body)
    assert await http(app, "/a\n\n") == (200, JSONResponse({"route": "catch", "params": {"anything": "a\n\n"}}).body)


@pytest.mark.parametrize("path", [case[0] for case in HTTP_CASES] + ["/ws\n", "/wsp/v\n", "/zzz\n"])
def test_the_index_answers_as_a_scan(anyio_backend: str, path: str) -> None:
    indexed = Router(routes())
    scanning = Router(routes())
    scanning.routes = list(scanning.routes)  # a plain list: no index, every route asked in turn
    assert anyio.run(http, indexed, path, backend=anyio_backend) == anyio.run(
        http, scanning, path, backend=anyio_backend
    )
    if path.startswith("/ws"):
        assert anyio.run(websocket, indexed, path, backend=anyio_backend) == anyio.run(
            websocket, scanning, path, backend=anyio_backend
        )
