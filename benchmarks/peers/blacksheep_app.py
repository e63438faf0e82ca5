"""The scenarios in BlackSheep: its Application and router, its response helpers (text, json), its middleware
functions (``async def mw(request, handler)``), its CORS and GZip middleware.

middleware4: a trusted-host middleware function (BlackSheep has none built in), ``app.use_cors`` (its CORS
strategy), its ``GzipMiddleware(min_size=500)`` and a middleware function adding the custom header. basehttp:
one middleware function setting a header on the response (BlackSheep's native middleware already works on
request and response objects, as BaseHTTPMiddleware does).
"""

from __future__ import annotations

import typing

from blacksheep import Application, Request, Response, WebSocket, WebSocketDisconnectError, json, text
from blacksheep.contents import StreamedContent
from blacksheep.server.compression import GzipMiddleware

from peers.common import CHUNK, HELLO, ROUTE_COUNTS, SPECS

LIFESPAN = True  # BlackSheep starts its app (router, DI, middleware chain) on the lifespan startup message


def hello_routes(app: Application) -> None:
    @app.router.get("/")
    async def hello() -> Response:
        return text(HELLO)


def item_routes(app: Application, count: int) -> None:
    for i in range(count):

        async def item(name: str, id: int) -> Response:
            return json({"name": name, "id": id})

        app.router.add_get(f"/r{i}/{{name}}/{{int:id}}", item)


def header_middleware(name: bytes) -> typing.Callable[..., typing.Awaitable[Response]]:
    async def middleware(request: Request, handler: typing.Callable[..., typing.Awaitable[Response]]) -> Response:
        response = await handler(request)
        response.add_header(name, b"1")
        return response

    return middleware


async def trusted_host(request: Request, handler: typing.Callable[..., typing.Awaitable[Response]]) -> Response:
    host = request.host
    if host != "example.com" and not host.endswith(".example.com"):
        return text("Invalid host header", 400)
    return await handler(request)


def header(request: Request, name: bytes) -> str | None:
    value = request.get_first_header(name)
    return None if value is None else value.decode()


def build(name: str) -> tuple[Application, dict[str, typing.Any]]:
    app = Application()
    if name == "hello":
        hello_routes(app)
    elif name in ROUTE_COUNTS:
        item_routes(app, ROUTE_COUNTS[name])
    elif name == "middleware4":
        hello_routes(app)
        app.middlewares.append(trusted_host)
        app.use_cors(allow_origins=["https://app.example.org"], allow_methods=["GET", "POST"])
        app.middlewares.append(GzipMiddleware(min_size=500))
        app.middlewares.append(header_middleware(b"x-custom"))
    elif name == "basehttp":
        hello_routes(app)
        app.middlewares.append(header_middleware(b"x-processed"))
    elif name == "json_body":

        @app.router.post("/echo")
        async def echo(request: Request) -> Response:
            return json(await request.json())

    elif name == "form10":

        @app.router.post("/form")
        async def form(request: Request) -> Response:
            return json(await request.form())

    elif name == "upload_1mib":

        @app.router.post("/upload")
        async def upload(request: Request) -> Response:
            form = await request.form()
            file = form["file"][0]  # file fields come as lists of FileBuffer
            data = file.file.read()
            return json({"filename": file.file_name.decode(), "size": len(data), "note": form["note"]})

    elif name == "query_headers":

        @app.router.get("/inspect")
        async def inspect(request: Request) -> Response:
            query = request.query  # name -> list of values
            cookies = request.cookies
            return json(
                {
                    "q": query["q"][0],
                    "tags": query.get("tag", []),
                    "page": int(query.get("page", ["1"])[0]),
                    "agent": header(request, b"user-agent"),
                    "lang": header(request, b"accept-language"),
                    "trace": header(request, b"x-trace-id"),
                    "session": cookies.get("session"),
                    "theme": cookies.get("theme"),
                }
            )

    elif name == "streaming":

        @app.router.get("/stream")
        async def stream() -> Response:
            async def chunks() -> typing.AsyncIterator[bytes]:
                for _ in range(16):
                    yield CHUNK

            return Response(200, None, StreamedContent(b"application/octet-stream", chunks))

    elif name == "websocket":

        @app.router.ws("/ws")
        async def ws(websocket: WebSocket) -> None:
            await websocket.accept()
            try:
                while True:
                    await websocket.send_text(await websocket.receive_text())
            except WebSocketDisconnectError:
                pass

    else:
        raise ValueError(name)
    return app, SPECS[name]()


SCENARIOS = {
    name: ((lambda name=name: build(name)), "msg/s" if name == "websocket" else "req/s")  # type: ignore[misc]
    for name in SPECS
}
