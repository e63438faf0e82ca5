"""The scenarios in Litestar: route handlers (``@get``/``@post``/``@websocket``) with typed parameters, its
router, msgspec JSON, its ``Stream`` response.

middleware4: Litestar's own configs for three of the four (``allowed_hosts``, ``cors_config``,
``compression_config`` with gzip, minimum size 500) and an ``ASGIMiddleware`` subclass adding the custom header.
basehttp: an ``after_request`` hook that sets a header on the Response object (Litestar's way of working on the
response object; its middleware is pure ASGI).
json_body, form10: the body is received as ``dict[str, Any]`` / ``dict[str, str]`` (no model to validate, as in the
Starlette scenario). POST handlers answer 201 by default in Litestar; these ask for 200, as the others answer.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Optional

from litestar import Litestar, Response, get, post, websocket
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.compression import CompressionConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import WebSocketDisconnect
from litestar.middleware import ASGIMiddleware
from litestar.params import Body, Parameter
from litestar.response import Stream
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from peers.common import CHUNK, HELLO, ROUTE_COUNTS, SPECS

LIFESPAN = True
# Litestar's Stream waits for http.disconnect after its last chunk (uvicorn sends it once the response is complete).
DISCONNECT_AFTER_RESPONSE = {"streaming"}


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:
    return HELLO


def items(count: int) -> list[typing.Any]:
    handlers = []
    for i in range(count):

        async def item(name: str, id: int) -> dict[str, Any]:
            return {"name": name, "id": id}

        handlers.append(get(f"/r{i}/{{name:str}}/{{id:int}}", name=f"item{i}")(item))
    return handlers


@post("/echo", status_code=200)
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data


@post("/form", status_code=200)
async def form(data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> dict[str, str]:
    return data


@post("/upload", status_code=200)
async def upload(data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, Any]:
    file: UploadFile = data["file"]
    content = await file.read()
    return {"filename": file.filename, "size": len(content), "note": data["note"]}


@get("/inspect")
async def inspect(
    q: str,
    tags: Annotated[list[str], Parameter(query="tag")],
    agent: Annotated[str, Parameter(header="user-agent")],
    page: int = 1,
    lang: Annotated[Optional[str], Parameter(header="accept-language")] = None,
    trace: Annotated[Optional[str], Parameter(header="x-trace-id")] = None,
    session: Annotated[Optional[str], Parameter(cookie="session")] = None,
    theme: Annotated[Optional[str], Parameter(cookie="theme")] = None,
) -> dict[str, Any]:
    return {
        "q": q,
        "tags": tags,
        "page": page,
        "agent": agent,
        "lang": lang,
        "trace": trace,
        "session": session,
        "theme": theme,
    }


@get("/stream")
async def stream() -> Stream:
    async def chunks() -> typing.AsyncIterator[bytes]:
        for _ in range(16):
            yield CHUNK

    return Stream(chunks(), media_type="application/octet-stream")


@websocket("/ws")
async def ws(socket: typing.Any) -> None:
    await socket.accept()
    try:
        while True:
            await socket.send_text(await socket.receive_text())
    except WebSocketDisconnect:
        pass


class CustomHeader(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-custom", b"1")]
            await send(message)

        await next_app(scope, receive, send_wrapper)


async def processed(response: Response) -> Response:
    response.headers["x-processed"] = "1"
    return response


def build(name: str) -> tuple[Litestar, dict[str, typing.Any]]:
    if name == "hello":
        app = Litestar([hello])
    elif name in ROUTE_COUNTS:
        app = Litestar(items(ROUTE_COUNTS[name]))
    elif name == "middleware4":
        app = Litestar(
            [hello],
            allowed_hosts=AllowedHostsConfig(allowed_hosts=["example.com", "*.example.com"]),
            cors_config=CORSConfig(allow_origins=["https://app.example.org"], allow_methods=["GET", "POST"]),
            compression_config=CompressionConfig(backend="gzip", minimum_size=500),
            middleware=[CustomHeader()],
        )
    elif name == "basehttp":
        app = Litestar([hello], after_request=processed)
    elif name == "json_body":
        app = Litestar([echo])
    elif name == "form10":
        app = Litestar([form])
    elif name == "upload_1mib":
        app = Litestar([upload])
    elif name == "query_headers":
        app = Litestar([inspect])
    elif name == "streaming":
        app = Litestar([stream])
    elif name == "websocket":
        app = Litestar([ws])
    else:
        raise ValueError(name)
    return app, SPECS[name]()


SCENARIOS = {
    name: ((lambda name=name: build(name)), "msg/s" if name == "websocket" else "req/s")  # type: ignore[misc]
    for name in SPECS
}
