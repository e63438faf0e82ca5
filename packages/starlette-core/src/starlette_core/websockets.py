"""The WebSocket connection wrapper (``starlette.websockets``)."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any, Optional
from typing import cast as cast  # upstream's module has the name

from starlette_core.exceptions import WebSocketException
from starlette_core.requests import HTTPConnection, StateT
from starlette_core.responses import Response
from starlette_core.types import Message, Receive, Scope, Send

__all__ = ["WebSocket", "WebSocketClose", "WebSocketDisconnect", "WebSocketDisconnected", "WebSocketState"]


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(Exception):
    """The peer closed the connection (``code`` and ``reason`` come from the close frame)."""

    def __init__(self, code: int = 1000, reason: Optional[str] = None) -> None:
        self.code = code
        self.reason = reason or ""


# The states as module globals, compared by identity (members are singletons and Enum equality is identity):
# a global load and `is` rather than a class attribute load and `==`, several times per message (see
# benchmarks/README.md).
_CONNECTING = WebSocketState.CONNECTING
_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED
_RESPONSE = WebSocketState.RESPONSE

_JSON_MODES = frozenset(("text", "binary"))
_BAD_MODE = 'The "mode" argument should be "text" or "binary".'
_NOT_CONNECTED = 'WebSocket is not connected. Need to call "accept" first.'


def _disconnect_error(message: Message) -> WebSocketDisconnect:
    """The WebSocketDisconnect that a "websocket.disconnect" message met by receive_text/bytes/json raises."""
    return WebSocketDisconnect(message.get("code", 1000), message.get("reason"))


def _expected_receive_error(message_type: Any) -> str:
    return f'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got {message_type!r}'


class _UnexpectedFrame(KeyError, WebSocketException):
    """A binary frame where ``receive_text()`` expects text, or a text frame where ``receive_bytes()`` expects bytes:
    the client's mistake.

    A ``KeyError``, what upstream raises there (so ``except KeyError`` and handlers registered for it still see it),
    and a ``WebSocketException`` with code 1003 ("unsupported data", RFC 6455), which ``ExceptionMiddleware``
    answers, when nothing else does, by closing the connection with that code: no 1011 close and no server
    traceback for a client's frame.
    """

    def __init__(self, key: str) -> None:
        # key: the message's key that was missing ("text" or "bytes"), which is what upstream's KeyError names.
        expected, got = ("text", "binary") if key == "text" else ("binary", "text")
        KeyError.__init__(self, key)
        WebSocketException.__init__(self, 1003, f"Expected a {expected} frame, got a {got} one.")

    def __str__(self) -> str:
        return self.reason


def _frame_data(message: Message, key: str) -> Any:
    """The message's ``"text"`` or ``"bytes"`` (``key``). Servers send the other key alone, or both with this one
    ``None``, for a frame of the other type."""
    data = message.get(key)
    if data is None:
        raise _UnexpectedFrame(key)
    return data


class WebSocketDisconnected(RuntimeError):
    """Raised when a websocket is used after it was closed or disconnected, or before it was accepted (as upstream
    1.7). A ``RuntimeError``, which 0.47.3 raised there, so ``except RuntimeError`` still catches it."""


class WebSocket(HTTPConnection[StateT]):
    """A websocket connection: the ASGI message exchange behind a state machine for each side."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        # HTTPConnection.__init__'s one assignment, made here as Request.__init__ makes it: no super() call.
        self.scope = scope
        self._receive = receive
        self._send = send
        self.client_state = _CONNECTING
        self.application_state = _CONNECTING

    async def receive(self) -> Message:
        """Receive one ASGI message, checking that it is valid for the client's state."""
        state = self.client_state
        if state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type == "websocket.disconnect":
                self.client_state = _DISCONNECTED
            elif message_type != "websocket.receive":
                raise RuntimeError(_expected_receive_error(message_type))
            return message
        if state is _CONNECTING:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.connect":
                raise RuntimeError(f'Expected ASGI message "websocket.connect", but got {message_type!r}')
            self.client_state = _CONNECTED
            return message
        raise WebSocketDisconnected('Cannot call "receive" once a disconnect message has been received.')

    async def send(self, message: Message) -> None:
        """Send one ASGI message, checking that it is valid for the application's state."""
        state = self.application_state
        message_type = message["type"]
        if state is _CONNECTED:  # the usual state first
            if message_type == "websocket.close":
                self.application_state = _DISCONNECTED
            elif message_type != "websocket.send":
                raise RuntimeError(
                    f'Expected ASGI message "websocket.send" or "websocket.close", but got {message_type!r}'
                )
            try:
                await self._send(message)
            except OSError:
                # The server could not write: the connection is gone.
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006) from None
        elif state is _CONNECTING:
            if message_type == "websocket.accept":
                self.application_state = _CONNECTED
            elif message_type == "websocket.close":
                self.application_state = _DISCONNECTED
            elif message_type == "websocket.http.response.start":
                self.application_state = _RESPONSE
            else:
                raise RuntimeError(
                    'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", '
                    f"but got {message_type!r}"
                )
            await self._send(message)
        elif state is _RESPONSE:
            if message_type != "websocket.http.response.body":
                raise RuntimeError(f'Expected ASGI message "websocket.http.response.body", but got {message_type!r}')
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
            await self._send(message)
        else:
            raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')

    async def accept(
        self,
        subprotocol: Optional[str] = None,
        headers: Optional[Iterable[tuple[bytes, bytes]]] = None,
    ) -> None:
        headers = headers or []
        if self.client_state is _CONNECTING:
            # The "websocket.connect" message has not been read yet: wait for it first.
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    # receive_text/bytes/json each check the state and the message themselves: a shared helper would cost a
    # coroutine per message (see benchmarks/README.md).
    async def receive_text(self) -> str:
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_NOT_CONNECTED)
        # The fast path: receive()'s own work for a connected client, without awaiting it as a coroutine of its
        # own. Decided per call: a receive() patched on the instance or the class, or overridden in a subclass,
        # is awaited as upstream awaits it.
        if getattr(self.receive, "__func__", None) is _RECEIVE and self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.receive":
                if message_type != "websocket.disconnect":
                    raise RuntimeError(_expected_receive_error(message_type))
                self.client_state = _DISCONNECTED
                raise _disconnect_error(message)
        else:
            message = await self.receive()
            if message["type"] == "websocket.disconnect":
                raise _disconnect_error(message)
        # _frame_data(message, "text"), inlined (a call per message): a subscript costs nothing more when it finds
        # the key. (An annotation, not typing.cast: that is a function call per message.)
        try:
            text: str = message["text"]
        except KeyError:
            raise _UnexpectedFrame("text") from None
        if text is None:
            raise _UnexpectedFrame("text")
        return text

    async def receive_bytes(self) -> bytes:
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_NOT_CONNECTED)
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise _disconnect_error(message)
        data: bytes = _frame_data(message, "bytes")
        return data

    async def receive_json(self, mode: str = "text") -> Any:
        if mode not in _JSON_MODES:
            raise RuntimeError(_BAD_MODE)
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_NOT_CONNECTED)
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise _disconnect_error(message)
        if mode == "text":
            text = _frame_data(message, "text")
        else:
            text = _frame_data(message, "bytes").decode("utf-8")
        try:
            return json.loads(text)
        except RecursionError:
            # Nesting deeper than the decoder follows is invalid JSON from the client like any other: raise what
            # invalid JSON raises, so that an app which answers bad JSON answers this too (not with a 1011).
            raise json.JSONDecodeError("JSON nested too deeply", text, 0) from None

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_text(self, data: str) -> None:
        # The fast path: send()'s own work for a connected application (see receive_text).
        if getattr(self.send, "__func__", None) is _SEND and self.application_state is _CONNECTED:
            try:
                await self._send({"type": "websocket.send", "text": data})
            except OSError:
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006) from None
        else:
            await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in _JSON_MODES:
            raise RuntimeError(_BAD_MODE)
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # A string holding a lone surrogate (what receive_json gives for a client's "\ud800") has no UTF-8
                # form for the server to send: every non-ASCII character escaped instead, as JSONResponse does
                # (upstream fails in the server's send: a dropped connection and a traceback).
                text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode("utf-8")})

    async def close(self, code: int = 1000, reason: Optional[str] = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Response) -> None:
        """Reject the handshake with an HTTP response (needs the server's "websocket.http.response" extension)."""
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            raise RuntimeError("The server doesn't support the Websocket Denial Response extension.")

        async def send(message: Message) -> None:
            message_type = message["type"]
            if message_type.startswith("http."):
                message = {**message, "type": "websocket." + message_type}
            await self.send(message)

        await response(self.scope, self.receive, send)


# The functions receive_text and send_text compare the bound methods' functions with.
_RECEIVE = WebSocket.receive
_SEND = WebSocket.send


class WebSocketClose:
    """An ASGI app that closes the websocket connection (used by routers when nothing matches)."""

    def __init__(self, code: int = 1000, reason: Optional[str] = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})
