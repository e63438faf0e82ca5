"""``WSGIMiddleware``: runs a WSGI application as an ASGI one (deprecated, as upstream; see a2wsgi).

The WSGI app runs in a worker thread; the response streams back as the app yields it, and an exception from the
app (or passed to ``start_response`` as ``exc_info``) is re-raised in the ASGI app.
"""

from __future__ import annotations

import io
import math
import sys
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import Iterable, MutableMapping
from typing import Any, Callable

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import ObjectReceiveStream as ObjectReceiveStream  # upstream's module has the name
from anyio.abc import ObjectSendStream as ObjectSendStream  # upstream's module has the name
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from starlette_core._utils import collapse_excgroups, warn_as_module
from starlette_core.exceptions import StarletteDeprecationWarning
from starlette_core.types import Receive, Scope, Send

# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.middleware.wsgi"

__all__ = ["WSGIMiddleware", "WSGIResponder", "build_environ"]

warn_as_module(
    _UPSTREAM_MODULE,
    "starlette.middleware.wsgi is deprecated and will be removed in a future release. "
    "Please refer to https://github.com/abersheeran/a2wsgi as a replacement.",
    StarletteDeprecationWarning,  # as upstream 1.x (a DeprecationWarning too, as 0.47.3's was)
)


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) for an ASGI HTTP scope and the whole request body."""
    # WSGI strings are "bytes as latin-1": re-encode the (UTF-8 decoded) ASGI paths that way.
    script_name = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    path_info = scope["path"].encode("utf-8").decode("latin-1")
    if path_info.startswith(script_name):
        path_info = path_info[len(script_name) :]

    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        # As received, not percent-decoded; a client may send any bytes there, and latin-1 decodes them all.
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stdout,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    # SERVER_NAME and SERVER_PORT are required by WSGI, optional in ASGI.
    server = scope.get("server") or ("localhost", 80)
    environ["SERVER_NAME"] = server[0]
    environ["SERVER_PORT"] = server[1]

    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]

    _add_headers(environ, scope.get("headers", []))
    return environ


def _add_headers(environ: dict[str, Any], headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Add the request headers to ``environ`` as CGI variables (``X-Token`` -> ``HTTP_X_TOKEN``)."""
    for raw_name, raw_value in headers:
        if raw_name.find(b"_") >= 0:  # (not `b"_" in raw_name`, which builds and clears a TypeError first)
            # "X_Token" would fold into HTTP_X_TOKEN too, and pass for (or join) the X-Token that a proxy in
            # front vouches for: such names are dropped, as gunicorn and nginx do.
            continue
        name = raw_name.decode("latin-1")
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key in environ:
            # A repeated header: WSGI has one value per name, so join them as HTTP allows.
            value = f"{environ[key]},{value}"
        environ[key] = value


class WSGIMiddleware:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        responder = WSGIResponder(self.app, scope)
        await responder(receive, send)


class WSGIResponder:
    stream_send: MemoryObjectSendStream[MutableMapping[str, Any]]
    stream_receive: MemoryObjectReceiveStream[MutableMapping[str, Any]]

    def __init__(self, app: Callable[..., Any], scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.status = None
        self.response_headers = None
        self.stream_send, self.stream_receive = anyio.create_memory_object_stream(math.inf)
        self.response_started = False
        self.exc_info: Any = None

    async def __call__(self, receive: Receive, send: Send) -> None:
        environ: dict[str, Any] | None = None
        try:
            chunks: list[bytes] = []
            more_body = True
            while more_body:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away before sending the whole body: there is no request to run
                chunks.append(message.get("body", b""))
                more_body = message.get("more_body", False)
            environ = build_environ(self.scope, b"".join(chunks))
        finally:
            if environ is None:
                # No request to run (the client left, receive() failed, or the scope has no valid environ):
                # nothing will ever use the streams, so close them now rather than leave them to the collector.
                self.stream_send.close()
                self.stream_receive.close()

        with collapse_excgroups():
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(self.sender, send)
                async with self.stream_send:
                    await anyio.to_thread.run_sync(self.wsgi, environ, self.start_response)
        if self.exc_info is not None:
            raise self.exc_info[1].with_traceback(self.exc_info[2])

    async def sender(self, send: Send) -> None:
        async with self.stream_receive:
            async for message in self.stream_receive:
                await send(message)

    def start_response(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: Any = None,
    ) -> None:
        self.exc_info = exc_info
        if not self.response_started:
            self.response_started = True
            status_code = int(status.split(" ", 1)[0])
            headers = [
                (name.strip().encode("ascii").lower(), value.strip().encode("ascii"))
                for name, value in response_headers
            ]
            anyio.from_thread.run(
                self.stream_send.send,
                {"type": "http.response.start", "status": status_code, "headers": headers},
            )

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> None:
        iterable = self.app(environ, start_response)
        try:
            for chunk in iterable:
                anyio.from_thread.run(
                    self.stream_send.send,
                    {"type": "http.response.body", "body": chunk, "more_body": True},
                )
        finally:
            # PEP 3333: the server calls close() on the iterable, however the iteration ended.
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        anyio.from_thread.run(self.stream_send.send, {"type": "http.response.body", "body": b""})
