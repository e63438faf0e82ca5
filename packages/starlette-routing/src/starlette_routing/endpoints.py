"""Class-based endpoints (``starlette.endpoints``): one method per HTTP method, or websocket event hooks."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, Callable, Literal, Optional

from starlette_core import status
from starlette_core._utils import is_async_callable
from starlette_core.concurrency import run_in_threadpool
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket

# The request methods HTTPEndpoint dispatches, and the handler attribute of each. Any other method is a 405, as
# upstream 1.x answers it: 0.47.3 called whatever attribute the method named in lower case, so a client's method
# chose which of the endpoint's code ran (RENDER_ADMIN -> ``render_admin``). An endpoint that answers other methods
# (WebDAV's PROPFIND, say) overrides ``dispatch``. See the README's "Differences from upstream".
_HANDLER_NAMES: dict[str, str] = {
    "GET": "get",
    "HEAD": "head",
    "POST": "post",
    "PUT": "put",
    "PATCH": "patch",
    "DELETE": "delete",
    "OPTIONS": "options",
    "QUERY": "query",  # the HTTP QUERY method (a safe request with a body), as upstream 1.x
}


class HTTPEndpoint:
    """Subclass it and define ``get``, ``post``, ... (sync or async) taking the request and returning a response."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.scope = scope
        self.receive = receive
        self.send = send

    @property
    def _allowed_methods(self) -> list[str]:
        # Computed when a 405 needs it, not on every request.
        allowed: list[str] | None = self.__dict__.get("_allowed")
        if allowed is None:
            defined = {method for method, name in _HANDLER_NAMES.items() if getattr(self, name, None) is not None}
            if "GET" in defined:
                defined.add("HEAD")  # dispatch answers HEAD with ``get``: Allow says so (RFC 9110), as upstream 1.x
            allowed = [method for method in _HANDLER_NAMES if method in defined]
        return allowed

    @_allowed_methods.setter
    def _allowed_methods(self, methods: list[str]) -> None:
        self.__dict__["_allowed"] = methods

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        request = Request(self.scope, receive=self.receive)
        method = request.method
        attribute = _HANDLER_NAMES.get(method)
        handler: Optional[Callable[[Request], Any]] = None
        if attribute is not None:
            handler = getattr(self, attribute, None)
            if handler is None and method == "HEAD":
                handler = getattr(self, "get", None)
        if handler is None or not callable(handler):
            handler = self.method_not_allowed
        if is_async_callable(handler):
            response = await handler(request)
        else:
            response = await run_in_threadpool(handler, request)
        await response(self.scope, self.receive, self.send)

    async def method_not_allowed(self, request: Request) -> Response:
        # Inside a Starlette application the exception handlers produce the response.
        headers = {"Allow": ", ".join(self._allowed_methods)}
        if "app" in self.scope:
            raise HTTPException(status_code=405, headers=headers)
        return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)


class WebSocketEndpoint:
    """Subclass it and override ``on_connect``, ``on_receive`` and ``on_disconnect``.

    ``encoding`` decodes incoming messages: "text", "bytes", "json", or None for whatever was sent.
    """

    encoding: Optional[Literal["text", "bytes", "json"]] = None

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        websocket = WebSocket(self.scope, receive=self.receive, send=self.send)
        await self.on_connect(websocket)

        close_code = status.WS_1000_NORMAL_CLOSURE
        try:
            while True:
                message = await websocket.receive()
                message_type = message["type"]
                if message_type == "websocket.receive":
                    data = await self.decode(websocket, message)
                    await self.on_receive(websocket, data)
                elif message_type == "websocket.disconnect":
                    close_code = int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)
                    break
                # Else the "websocket.connect" that on_connect did not read (it closed without accepting): the
                # loop goes on to the server's disconnect, whose code on_disconnect gets, as upstream.
        except Exception:
            close_code = status.WS_1011_INTERNAL_ERROR
            raise
        finally:
            await self.on_disconnect(websocket, close_code)

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        if self.encoding == "text":
            if message.get("text") is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected text websocket messages, but got bytes")
            return message["text"]

        if self.encoding == "bytes":
            if message.get("bytes") is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected bytes websocket messages, but got text")
            return message["bytes"]

        if self.encoding == "json":
            text = message.get("text")
            try:
                if text is None:
                    text = message["bytes"].decode("utf-8")
                return json.loads(text)
            # Invalid JSON, bytes that are not UTF-8, or nesting deeper than the decoder follows (RecursionError):
            # all the client's mistake, answered alike.
            except (ValueError, RecursionError):
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Malformed JSON data received.") from None

        assert self.encoding is None, f"Unsupported 'encoding' attribute {self.encoding}"
        text = message.get("text")
        return text if text is not None else message.get("bytes")

    async def on_connect(self, websocket: WebSocket) -> None:
        """Override to handle an incoming websocket connection"""
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Override to handle an incoming websocket message"""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Override to handle a disconnecting websocket"""
