"""``GZipMiddleware``: gzip-compresses responses for clients that accept it.

A response is compressed when it is at least ``minimum_size`` bytes (or streams in several parts), is not already
encoded, is not a partial response (206) and its media type is not excluded (``exclude_content_types``: formats
that are compressed already, server-sent events, gRPC).  Every response that could be compressed carries
``Vary: Accept-Encoding``, whether or not this client asked for gzip, so that caches keep the variants apart.
Each part of a streamed response is flushed as it comes; parts of ``thread_minimum_size`` bytes or more are
compressed in a worker thread, off the event loop.
"""

from __future__ import annotations

import functools
import gzip as gzip  # upstream's module has the name (ours compresses with zlib directly)
import io as io  # upstream's module has the name
import zlib
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, NoReturn

from starlette_core.datastructures import Headers as Headers  # upstream's module has the name
from starlette_core.datastructures import MutableHeaders
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from anyio import CapacityLimiter
    from anyio.lowlevel import RunVar

__all__ = [
    "DEFAULT_EXCLUDED_CONTENT_TYPES",
    "GZipMiddleware",
    "GZipResponder",
    "IdentityResponder",
    "unattached_send",
]

# Media types not compressed: compressed formats already, server-sent events (a client reads them as they come) and
# gRPC (which has compression of its own).  "type/*" stands for every subtype of a type.
DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)

# Body parts at least this big are compressed in a worker thread.
_DEFAULT_THREAD_MINIMUM_SIZE = 128 * 1024

# Worker threads that compress at the same time, per event loop.
_THREAD_LIMIT = 40


def _media_type(content_type: str) -> str:
    """``"Text/HTML; charset=utf-8"`` -> ``"text/html"``: a Content-Type (or an exclusion) without parameters."""
    return content_type.partition(";")[0].strip().lower()


_Exclusions = tuple[frozenset[str], frozenset[str], tuple[str, ...]]


@functools.lru_cache(maxsize=64)
def _compile_exclusions(content_types: tuple[str, ...]) -> _Exclusions:
    """The excluded media types; the types (``"audio"`` for ``"audio/*"``) all of whose subtypes are; and the
    prefixes of excluded media types (gRPC's ``application/grpc+proto``, ``+json``... when ``application/grpc`` is
    excluded)."""
    exact: set[str] = set()
    whole_types: set[str] = set()
    for content_type in content_types:
        media_type = _media_type(content_type)
        if media_type.endswith("/*"):
            whole_types.add(media_type[:-2])
        else:
            exact.add(media_type)
    prefixes = ("application/grpc+",) if "application/grpc" in exact else ()
    return frozenset(exact), frozenset(whole_types), prefixes


def _is_excluded(content_type: bytes, exclusions: _Exclusions) -> bool:
    media_type = _media_type(content_type.decode("latin-1"))
    exact, whole_types, prefixes = exclusions
    return media_type in exact or media_type.partition("/")[0] in whole_types or media_type.startswith(prefixes)


class GZipMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = _DEFAULT_THREAD_MINIMUM_SIZE,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = exclude_content_types
        self._exclusions = _compile_exclusions(tuple(exclude_content_types))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # What a responder's __call__ does, without a coroutine of its own.  Gzip or identity is decided by the
        # request's Accept-Encoding when a body could be compressed (see _NegotiatingResponder).
        responder = _NegotiatingResponder(self, scope["headers"], send)
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
    partial_response = False
    # Whether the two flags above have been read from the start message's headers: that happens on the
    # first body part that could be compressed (a small single-part body never needs them).
    _headers_read = False

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.exclude_content_types = exclude_content_types
        self._exclusions = _compile_exclusions(tuple(exclude_content_types))
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
            if message.get("status") == 206:
                # A part of a representation: compressing it would not give a part of the compressed one.
                self.partial_response = True
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
            if not (self.content_encoding_set or self.content_type_is_excluded or self.partial_response):
                # The rest of a compressed stream.
                return self._send_compressed_part(message)
            return self.send(message)

        self.started = True
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if self.partial_response or (not more_body and len(body) < self.minimum_size):
            # A partial response, or too small to be worth compressing, for any client (whatever the headers say).
            return _send_both(self.send, self.initial_message, message)

        self._read_headers()
        if self.content_encoding_set or self.content_type_is_excluded:
            return _send_both(self.send, self.initial_message, message)

        if self._in_thread(body):
            return self._start_compressed_in_thread(message, body, more_body)
        self._start_compressed(message, self.apply_compression(body, more_body=more_body), more_body)
        return _send_both(self.send, self.initial_message, message)

    def _start_compressed(self, message: Message, compressed: bytes, more_body: bool) -> None:
        """Prepare the start message and the first body part (``compressed`` by apply_compression) to be sent."""
        headers = MutableHeaders(raw=self.initial_message["headers"])
        headers.add_vary_header("Accept-Encoding")
        content_encoding = self._content_encoding()
        if content_encoding is not None:
            headers["Content-Encoding"] = content_encoding
            if more_body or self.initial_message.get("trailers", False):
                # The compressed length is unknown until the end of the stream (and trailers come after a body
                # sent in chunks, without a length).
                del headers["Content-Length"]
            else:
                headers["Content-Length"] = str(len(compressed))
            message["body"] = compressed

    async def _start_compressed_in_thread(self, message: Message, body: bytes, more_body: bool) -> None:
        compressed = await _compress_in_thread(functools.partial(self.apply_compression, body, more_body=more_body))
        self._start_compressed(message, compressed, more_body)
        await _send_both(self.send, self.initial_message, message)

    def _send_compressed_part(self, message: Message) -> Awaitable[None]:
        """Compress and send a body part after the first."""
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if self._in_thread(body):
            return self._send_compressed_part_in_thread(message, body, more_body)
        message["body"] = self.apply_compression(body, more_body=more_body)
        return self.send(message)

    async def _send_compressed_part_in_thread(self, message: Message, body: bytes, more_body: bool) -> None:
        message["body"] = await _compress_in_thread(
            functools.partial(self.apply_compression, body, more_body=more_body)
        )
        await self.send(message)

    def _in_thread(self, body: bytes) -> bool:
        """Whether to compress ``body`` in a worker thread: GZipResponder's ``thread_minimum_size`` says when (a
        responder without one, or one that does not compress, never does)."""
        thread_minimum_size: int | None = getattr(self, "thread_minimum_size", None)
        return (
            thread_minimum_size is not None
            and len(body) >= thread_minimum_size
            and self._content_encoding() is not None
        )

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
            self.content_type_is_excluded = _is_excluded(content_type, self._exclusions)

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """Compress one part of the body (``more_body=False`` for the last one); identity returns it unchanged.

        A plain method, as in starlette 0.47.3 (upstream 1.x made it a coroutine): the responder runs it in a
        worker thread itself when the part is big enough.
        """
        return body


_SEND_WITH_COMPRESSION = IdentityResponder.send_with_compression


class GZipResponder(IdentityResponder):
    content_encoding = "gzip"

    # Created on the first body part that is compressed: small responses never pay for a compressor.
    _compressor: zlib._Compress | None = None

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        compresslevel: int = 9,
        *,
        thread_minimum_size: int = _DEFAULT_THREAD_MINIMUM_SIZE,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        super().__init__(app, minimum_size, exclude_content_types=exclude_content_types)
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size

    @property
    def compressor(self) -> zlib._Compress:
        """The response's gzip compressor (a ``zlib`` compression object), created on first use."""
        compressor = self._compressor
        if compressor is None:
            # wbits=31: a gzip container (header and trailer) around the deflate stream.
            compressor = self._compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, 31)
        return compressor

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        compressor = self.compressor
        compressed = compressor.compress(body)
        # A part of a stream is flushed, so that the client gets what it holds now; the last one ends the stream.
        return compressed + (compressor.flush(zlib.Z_SYNC_FLUSH) if more_body else compressor.flush())


class _NegotiatingResponder(GZipResponder):
    """GZipMiddleware's responder: a GZipResponder for a request whose Accept-Encoding mentions gzip, else an
    IdentityResponder.  It reads the request's headers only once a body could be compressed: a small body in a
    single part goes out as it is either way.
    """

    # None until _read_headers() has looked at the request's Accept-Encoding.
    _gzip: bool | None = None

    def __init__(self, middleware: GZipMiddleware, request_headers: Iterable[tuple[bytes, bytes]], send: Send) -> None:
        # (GZipMiddleware's settings, taken as they are: nothing is computed per request.)
        self.app = middleware.app
        self.minimum_size = middleware.minimum_size
        self.compresslevel = middleware.compresslevel
        self.thread_minimum_size = middleware.thread_minimum_size
        self.exclude_content_types = middleware.exclude_content_types
        self._exclusions = middleware._exclusions
        self.send = send
        self.initial_message = {}
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


_thread_limiter: RunVar[CapacityLimiter] | None = None


async def _compress_in_thread(compress: functools.partial[bytes]) -> bytes:
    """``compress()`` in a worker thread: at most ``_THREAD_LIMIT`` of them at once per event loop (a limiter of
    their own, so that compression does not hold up ``run_in_threadpool``)."""
    import anyio.to_thread  # (deferred, as the thread pool is: only big responses need it)
    from anyio.lowlevel import RunVar

    global _thread_limiter
    if _thread_limiter is None:
        _thread_limiter = RunVar("gzip_thread_limiter")
    try:
        limiter = _thread_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_THREAD_LIMIT)
        _thread_limiter.set(limiter)
    return await anyio.to_thread.run_sync(compress, limiter=limiter)


async def unattached_send(message: Message) -> NoReturn:
    raise RuntimeError("send awaitable not set")


async def _sent() -> None:
    """Awaited for a message held back: nothing to do now."""


async def _send_both(send: Send, first: Message, second: Message) -> None:
    await send(first)
    await send(second)
