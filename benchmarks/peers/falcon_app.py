"""The scenarios in Falcon (falcon.asgi.App): resources with on_get/on_post, Falcon's router and media handling,
Falcon middleware components.

middleware4: Falcon's own CORSMiddleware, plus components written the Falcon way (process_request /
process_response) for the trusted-host check, a GZip-like step (Falcon ships no compression middleware; this one
only compresses bodies of 500 bytes or more, so here, like Starlette's GZipMiddleware below its minimum size, it
only looks at the response) and the custom header. basehttp: one process_response component setting a header.
"""

from __future__ import annotations

import gzip
import typing

import falcon
import falcon.asgi

from peers.common import CHUNK, HELLO, ROUTE_COUNTS, SPECS

LIFESPAN = True


class Hello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = HELLO


class Item:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, name: str, id: int) -> None:
        resp.media = {"name": name, "id": id}


class Echo:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = await req.get_media()


class Form:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        form = await req.get_media()  # URL-encoded form handler (Falcon's default handlers)
        resp.media = dict(form)


class Upload:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        form = await req.get_media()
        out: dict[str, typing.Any] = {}
        async for part in form:
            if part.name == "file":
                data = await part.get_data()
                out["filename"] = part.filename
                out["size"] = len(data)
            elif part.name == "note":
                out["note"] = await part.get_text()
        resp.media = {"filename": out["filename"], "size": out["size"], "note": out["note"]}


class Inspect:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        cookies = req.cookies
        resp.media = {
            "q": req.get_param("q"),
            "tags": req.get_param_as_list("tag"),
            "page": req.get_param_as_int("page", default=1),
            "agent": req.user_agent,
            "lang": req.get_header("Accept-Language"),
            "trace": req.get_header("X-Trace-Id"),
            "session": cookies.get("session"),
            "theme": cookies.get("theme"),
        }


class Stream:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        async def chunks() -> typing.AsyncIterator[bytes]:
            for _ in range(16):
                yield CHUNK

        resp.content_type = "application/octet-stream"
        resp.stream = chunks()


class Echoes:
    async def on_websocket(self, req: falcon.asgi.Request, ws: falcon.asgi.WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text(await ws.receive_text())
        except falcon.WebSocketDisconnected:
            pass


class TrustedHost:
    def __init__(self, allowed: list[str]) -> None:
        self.exact = {h for h in allowed if not h.startswith("*.")}
        self.suffixes = tuple(h[1:] for h in allowed if h.startswith("*."))

    async def process_request(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        host = req.host
        if host not in self.exact and not host.endswith(self.suffixes):
            raise falcon.HTTPBadRequest(title="Invalid host header")


class GZip:
    def __init__(self, minimum_size: int) -> None:
        self.minimum_size = minimum_size

    async def process_response(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, resource: object, req_succeeded: bool
    ) -> None:
        data = resp.text.encode() if resp.text is not None else resp.data
        if data is None or len(data) < self.minimum_size:
            return
        if "gzip" not in (req.get_header("Accept-Encoding") or ""):
            return
        resp.data = gzip.compress(data)
        resp.text = None
        resp.set_header("Content-Encoding", "gzip")
        resp.append_header("Vary", "Accept-Encoding")


class Header:
    def __init__(self, name: str) -> None:
        self.name = name

    async def process_response(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, resource: object, req_succeeded: bool
    ) -> None:
        resp.set_header(self.name, "1")


def app_with(routes: list[tuple[str, object]], middleware: list[object] | None = None) -> falcon.asgi.App:
    app = falcon.asgi.App(middleware=middleware or [])
    for path, resource in routes:
        app.add_route(path, resource)
    return app


def items(count: int) -> list[tuple[str, object]]:
    return [(f"/r{i}/{{name}}/{{id:int}}", Item()) for i in range(count)]


def build(name: str) -> tuple[falcon.asgi.App, dict[str, typing.Any]]:
    if name == "hello":
        app = app_with([("/", Hello())])
    elif name in ROUTE_COUNTS:
        app = app_with(items(ROUTE_COUNTS[name]))
    elif name == "middleware4":
        app = app_with(
            [("/", Hello())],
            [
                TrustedHost(["example.com", "*.example.com"]),
                falcon.CORSMiddleware(allow_origins="https://app.example.org"),
                GZip(minimum_size=500),
                Header("x-custom"),
            ],
        )
    elif name == "basehttp":
        app = app_with([("/", Hello())], [Header("x-processed")])
    elif name == "json_body":
        app = app_with([("/echo", Echo())])
    elif name == "form10":
        app = app_with([("/form", Form())])
    elif name == "upload_1mib":
        app = app_with([("/upload", Upload())])
    elif name == "query_headers":
        app = app_with([("/inspect", Inspect())])
    elif name == "streaming":
        app = app_with([("/stream", Stream())])
    elif name == "websocket":
        app = app_with([("/ws", Echoes())])
        # Falcon's read-ahead queue (default 4) takes the client's close in ahead of its last messages, and then
        # refuses to send; fed as fast as the driver feeds them, the echo would stop short. 0 turns it off.
        app.ws_options.max_receive_queue = 0
    else:
        raise ValueError(name)
    return app, SPECS[name]()


SCENARIOS = {
    name: ((lambda name=name: build(name)), "msg/s" if name == "websocket" else "req/s")  # type: ignore[misc]
    for name in SPECS
}
