"""The scenarios in FastAPI 0.116.1, run on ours (fastapi_ours) and on the reference (fastapi_ref).

Written as a FastAPI user writes them: path operations with typed parameters (``id: int``), return values
serialised by FastAPI (``jsonable_encoder`` + ``JSONResponse``), ``response_class=PlainTextResponse`` for text,
``Form()`` and ``UploadFile`` for forms, ``app.add_middleware`` with the middleware FastAPI re-exports, and
``@app.middleware("http")`` (FastAPI's BaseHTTPMiddleware-based decorator) for basehttp. The default OpenAPI and
docs routes stay registered, as in a default app.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Optional

from fastapi import Cookie, FastAPI, Form, Header, Query, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from peers.common import CHUNK, HELLO, ROUTE_COUNTS, SPECS

LIFESPAN = False


class FormFields(BaseModel):
    field0: str
    field1: str
    field2: str
    field3: str
    field4: str
    field5: str
    field6: str
    field7: str
    field8: str
    field9: str


def hello_app(app: FastAPI) -> None:
    @app.get("/", response_class=PlainTextResponse)
    async def hello() -> str:
        return HELLO


def items(app: FastAPI, count: int) -> None:
    for i in range(count):

        async def item(name: str, id: int) -> dict[str, Any]:
            return {"name": name, "id": id}

        app.get(f"/r{i}/{{name}}/{{id}}", name=f"item{i}")(item)


class CustomHeaderMiddleware:
    """The same hand-written pure-ASGI middleware as apps.py's."""

    def __init__(self, app: typing.Any) -> None:
        self.app = app

    async def __call__(self, scope: typing.Any, receive: typing.Any, send: typing.Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: typing.Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-custom", b"1")]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def build(name: str) -> tuple[FastAPI, dict[str, typing.Any]]:
    app = FastAPI()
    if name == "hello":
        hello_app(app)
    elif name in ROUTE_COUNTS:
        items(app, ROUTE_COUNTS[name])
    elif name == "middleware4":
        hello_app(app)
        # add_middleware puts each new one outermost: added in reverse, the order is apps.py's
        app.add_middleware(CustomHeaderMiddleware)
        app.add_middleware(GZipMiddleware, minimum_size=500)
        app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.org"], allow_methods=["GET", "POST"])
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"])
    elif name == "basehttp":
        hello_app(app)

        @app.middleware("http")
        async def processed(request: Request, call_next: typing.Any) -> typing.Any:
            response = await call_next(request)
            response.headers["x-processed"] = "1"
            return response

    elif name == "json_body":

        @app.post("/echo")
        async def echo(data: dict[str, Any]) -> dict[str, Any]:
            return data

    elif name == "form10":

        @app.post("/form")
        async def form(data: Annotated[FormFields, Form()]) -> FormFields:
            return data

    elif name == "upload_1mib":

        @app.post("/upload")
        async def upload(file: UploadFile, note: Annotated[str, Form()]) -> dict[str, Any]:
            data = await file.read()
            return {"filename": file.filename, "size": len(data), "note": note}

    elif name == "query_headers":

        @app.get("/inspect")
        async def inspect(
            q: str,
            tag: Annotated[list[str], Query()],
            user_agent: Annotated[str, Header()],
            page: int = 1,
            accept_language: Annotated[Optional[str], Header()] = None,
            x_trace_id: Annotated[Optional[str], Header()] = None,
            session: Annotated[Optional[str], Cookie()] = None,
            theme: Annotated[Optional[str], Cookie()] = None,
        ) -> dict[str, Any]:
            return {
                "q": q,
                "tags": tag,
                "page": page,
                "agent": user_agent,
                "lang": accept_language,
                "trace": x_trace_id,
                "session": session,
                "theme": theme,
            }

    elif name == "streaming":

        @app.get("/stream")
        async def stream() -> StreamingResponse:
            async def chunks() -> typing.AsyncIterator[bytes]:
                for _ in range(16):
                    yield CHUNK

            return StreamingResponse(chunks(), media_type="application/octet-stream")

    elif name == "websocket":

        @app.websocket("/ws")
        async def ws(websocket: WebSocket) -> None:
            await websocket.accept()
            try:
                while True:
                    await websocket.send_text(await websocket.receive_text())
            except WebSocketDisconnect:
                pass

    else:
        raise ValueError(name)
    return app, SPECS[name]()


SCENARIOS = {
    name: ((lambda name=name: build(name)), "msg/s" if name == "websocket" else "req/s")  # type: ignore[misc]
    for name in SPECS
}
