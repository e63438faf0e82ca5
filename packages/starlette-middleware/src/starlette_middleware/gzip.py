"""``GZipMiddleware``: gzip-compresses responses for clients that accept it.

A response is compressed when it is at least ``minimum_size`` bytes (or streams in several parts), is not already
encoded and is not a server-sent event stream.  Every response that could be compressed carries
``Vary: Accept-Encoding``, whether or not this client asked for gzip, so that caches keep the variants apart.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Iterable
from typing import NoReturn

from starlette_core.datastructures import MutableHeaders
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_EXCLUDED_CONTENT_TYPES",
    "GZipMiddleware",
    "GZipResponder",
    "IdentityResponder",
    "unattached_send",
]

DEFAULT_EXCLUDED_CONTENT_TYPES = ("text/event-stream",)


class GZipMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 9) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # What a responder's __call__ does, without a coroutine of its own.  Gzip or identity is decided by the
        # request's Accept-Encoding when a body could be compressed (see _NegotiatingResponder).
        responder = _NegotiatingResponder(self.app, self.minimum_size, self.compresslevel, scope["headers"], send)
        await self.app(scope, receive, responder._handle_message)


class IdentityResponder:
    """Sends the app's response as it is, but decides (and says, with ``Vary``) whether it could be compressed.

    Subclasses compress: they set ``content_encoding`` and override ``apply_compression``.
    """

    content_encoding: str

    # The per-response state starts as these class-level values: fewer stores per request.
    started = False
    content_encoding_set = False
    content_type_is_excluded = False
    # Whether the two flags above have been read from the start message's headers: that happens on the
    # first body part that could be compressed (a small single-part body never needs them).
    _headers_read = False

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.send: Send = unattached_send
        self.initial_message: Message = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        if type(self).send_with_compression is _SEND_WITH_COMPRESSION:
            await self.app(scope, receive, self._handle_message)
        else:  # a subclass's own send_with_compression
            await self.app(scope, receive, self.send_with_compression)

    async def send_with_compression(self, message: Message) -> None:
        """The send the app gets: handles one message of its response."""
        await self._handle_message(message)

    def _handle_message(self, message: Message) -> Awaitable[None]:
        """What ``send_with_compression`` does; the caller awaits the result.

        Not a coroutine itself: where only the wrapped send has to be awaited, its awaitable is handed back.
        """
        message_type = message["type"]
        if message_type == "http.response.start":
            # Hold the start back until the first body part tells whether (and how) to change the headers.
            self.initial_message = message
            raw_headers = message.get("headers")
            if not isinstance(raw_headers, list):
                # Any iterable is valid ASGI; a list can be changed in place below.
                message["headers"] = list(raw_headers or ())
            return _sent()

        if message_type != "http.response.body":
            if message_type == "http.response.pathsend" and not self.started:
                # A file the server sends itself: not ours to compress.
                self.started = True
                return _send_both(self.send, self.initial_message, message)
            # Anything else (a debug message before the start, trailers after the body) passes through.
            return self.send(message)

        if self.started:
            if not self._headers_read:
                self._read_headers()
            if not (self.content_encoding_set or self.content_type_is_excluded):
                # The rest of a compressed stream.
                message["body"] = self.apply_compression(
                    message.get("body", b""), more_body=message.get("more_body", False)
                )
            return self.send(message)

        self.started = True
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if not more_body and len(body) < self.minimum_size:
            # Too small to be worth compressing, for any client (whatever the headers say).
            return _send_both(self.send, self.initial_message, message)

        self._read_headers()
        if self.content_encoding_set or self.content_type_is_excluded:
            return _send_both(self.send, self.initial_message, message)

        compressed = self.apply_compression(body, more_body=more_body)
        headers = MutableHeaders(raw=self.initial_message["headers"])
        headers.add_vary_header("Accept-Encoding")
        content_encoding = self._content_encoding()
        if content_encoding is not None:
            headers["Content-Encoding"] = content_encoding
            if more_body:
                # The compressed length is unknown until the end of the stream.
                del headers["Content-Length"]
            else:
                headers["Content-Length"] = str(len(compressed))
            message["body"] = compressed
        return _send_both(self.send, self.initial_message, message)

    def _content_encoding(self) -> str | None:
        """The Content-Encoding of what apply_compression() makes (None: the body is sent as it is)."""
        return getattr(self, "content_encoding", None)

    def _read_headers(self) -> None:
        """Set content_encoding_set and content_type_is_excluded from the start message's headers."""
        self._headers_read = True
        content_type: bytes | None = None
        for name, value in self.initial_message["headers"]:
            if name == b"content-encoding":
                self.content_encoding_set = True
            elif name == b"content-type" and content_type is None:
                content_type = value
        if content_type is not None:
            self.content_type_is_excluded = content_type.decode("latin-1").startswith(DEFAULT_EXCLUDED_CONTENT_TYPES)

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """Compress one part of the body (``more_body=False`` for the last one); identity returns it unchanged."""
        return body


_SEND_WITH_COMPRESSION = IdentityResponder.send_with_compression


class GZipResponder(IdentityResponder):
    content_encoding = "gzip"

    # Created on the first body part that is compressed: small responses never pay for a compressor.
    _compressor: zlib._Compress | None = None

    def __init__(self, app: ASGIApp, minimum_size: int, compresslevel: int = 9) -> None:
        super().__init__(app, minimum_size)
        self.compresslevel = compresslevel

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        compressor = self._compressor
        if compressor is None:
            # wbits=31: a gzip container (header and trailer) around the deflate stream.
            compressor = self._compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, 31)
        compressed = compressor.compress(body)
        if not more_body:
            compressed += compressor.flush()
        return compressed


class _NegotiatingResponder(GZipResponder):
    """GZipMiddleware's responder: a GZipResponder for a request whose Accept-Encoding mentions gzip, else an
    IdentityResponder.  It reads the request's headers only once a body could be compressed: a small body in a
    single part goes out as it is either way.
    """

    # None until _read_headers() has looked at the request's Accept-Encoding.
    _gzip: bool | None = None

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        compresslevel: int,
        request_headers: Iterable[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.send = send
        self.initial_message = {}
        self.compresslevel = compresslevel
        self._request_headers = request_headers

    def _read_headers(self) -> None:
        super()._read_headers()
        self._gzip = False
        for name, value in self._request_headers:
            # (find() rather than `in`: on bytes, `in` first tries the needle as an integer, which is slow.)
            if name == b"accept-encoding" and value.find(b"gzip") != -1:
                self._gzip = True
                break

    def _content_encoding(self) -> str | None:
        return "gzip" if self._gzip else None

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if self._gzip:
            return super().apply_compression(body, more_body=more_body)
        return body


async def unattached_send(message: Message) -> NoReturn:
    raise RuntimeError("send awaitable not set")


async def _sent() -> None:
    """Awaited for a message held back: nothing to do now."""


async def _send_both(send: Send, first: Message, second: Message) -> None:
    await send(first)
    await send(second)
