"""HTTP responses: plain, HTML, text, JSON, redirects, streams and files (with byte ranges).

Headers are encoded once, when the response is built; ``__call__`` only sends the prepared messages.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import types
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import AsyncIterable as _AsyncIterableABC
from collections.abc import Awaitable as Awaitable  # upstream's module has the name
from collections.abc import Mapping, Sequence
from functools import lru_cache
from functools import partial as partial  # upstream's module has the name
from typing import TYPE_CHECKING, Any, AsyncIterable, Callable, Iterable, Literal, Optional, Tuple, Union
from urllib.parse import quote

from starlette_core._disconnect_watch import current_asyncio_task, stream_watching_disconnect
from starlette_core._tracking import send_after_start
from starlette_core._utils import LazyImports, collapse_excgroups, warn_as_module
from starlette_core.background import BackgroundTask
from starlette_core.concurrency import iterate_in_threadpool
from starlette_core.datastructures import URL, MutableHeaders
from starlette_core.datastructures import Headers as Headers  # upstream's module has the name
from starlette_core.requests import ClientDisconnect
from starlette_core.types import Receive, Scope, Send


def _range_pattern() -> re.Pattern[str]:
    # Upstream's pattern for one range of a Range header (ours parses the header without it).
    return re.compile(r"(\d*)-(\d*)")


# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.responses"

# Upstream's names for what this module imports on first use (see LazyImports): only some responses need them.
_lazy = LazyImports(
    globals(),
    {
        "anyio": "anyio.to_thread",
        "datetime": "datetime:datetime",
        "format_datetime": "email.utils:format_datetime",
        "formatdate": "email.utils:formatdate",
        "guess_type": "mimetypes:guess_type",
        "hashlib": "hashlib",
        "http": "http.cookies",
        "token_hex": "secrets:token_hex",
        "_RANGE_PATTERN": _range_pattern,
    },
)
if TYPE_CHECKING:
    import hashlib
    import http.cookies
    from datetime import datetime
    from email.utils import format_datetime, formatdate
    from mimetypes import guess_type
    from secrets import token_hex

    import anyio.to_thread
    from anyio.abc import TaskGroup
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir

_HTTP_START = "http.response.start"
_HTTP_BODY = "http.response.body"
_WS_START = "websocket.http.response.start"
_WS_BODY = "websocket.http.response.body"
_REDIRECT_SAFE = ":/%#?=@[]!$&'()*+,;"


# Encoded header pairs, shared by every response that needs them (tuples: never changed in place).
_CACHED_LENGTHS = 4096
_CONTENT_LENGTH_HEADERS: dict[int, tuple[bytes, bytes]] = {}
# The headers of a response built without headers of its own, by (status, body length or -1, media type, charset).
_DefaultKey = Tuple[int, int, Optional[str], str]
_DEFAULT_HEADERS: dict[_DefaultKey, tuple[tuple[bytes, bytes], ...]] = {}
_CACHED_DEFAULTS = 8192


def _content_length_header(length: int) -> tuple[bytes, bytes]:
    header = _CONTENT_LENGTH_HEADERS.get(length)
    if header is None:
        header = (b"content-length", b"%d" % length)
        if length < _CACHED_LENGTHS:
            _CONTENT_LENGTH_HEADERS[length] = header
    return header


@lru_cache(maxsize=256)
def _content_type_header(media_type: str, charset: str) -> tuple[bytes, bytes]:
    """The encoded ``content-type`` header for a media type (``text/*`` gets a charset unless it has one)."""
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        media_type = f"{media_type}; charset={charset}"
    return (b"content-type", media_type.encode("latin-1"))


def _default_headers(key: _DefaultKey) -> tuple[tuple[bytes, bytes], ...]:
    """The headers for ``key`` (see _DEFAULT_HEADERS), from the cache or built and cached."""
    cached = _DEFAULT_HEADERS.get(key)
    if cached is not None:
        return cached
    status_code, length, media_type, charset = key
    headers: list[tuple[bytes, bytes]] = []
    # A body's length is sent for any status but 1xx, 204 and 304 (-1: there is no body).
    if length >= 0 and status_code >= 200 and status_code not in (204, 304):
        headers.append(_content_length_header(length))
    if media_type is not None:
        headers.append(_content_type_header(media_type, charset))
    defaults = tuple(headers)
    if length < _CACHED_LENGTHS and len(_DEFAULT_HEADERS) < _CACHED_DEFAULTS:
        _DEFAULT_HEADERS[key] = defaults
    return defaults


@lru_cache(maxsize=64)
def _spec_at_least_2_4(spec_version: str) -> bool:
    """Whether an ASGI ``spec_version`` string is 2.4 or later (an unparsable one counts as older)."""
    try:
        parts = tuple(int(part) for part in spec_version.split("."))
    except ValueError:
        return False
    return parts >= (2, 4)


class Response:
    media_type: str | None = None
    charset = "utf-8"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        cls = type(self)
        if headers is not None or cls.render is not _RESPONSE_RENDER or cls.init_headers is not _RESPONSE_INIT_HEADERS:
            self.body = self.render(content)
            self.init_headers(headers)
            return
        # The common case, with render() and init_headers() Response's own: their steps inlined, two frames fewer
        # for the price of the two checks above (see benchmarks/README.md).
        charset = self.charset
        body: bytes | memoryview
        if type(content) is str:
            body = content.encode(charset)
        elif content is None:
            body = b""
        elif isinstance(content, (bytes, memoryview)):
            body = content
        else:
            body = content.encode(charset)
        self.body = body
        key = (status_code, len(body), self.media_type, charset)
        defaults = _DEFAULT_HEADERS.get(key)
        if defaults is None:
            defaults = _default_headers(key)
        self.raw_headers = [*defaults]

    def render(self, content: Any) -> bytes | memoryview:
        if type(content) is str:  # the common case first
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, (bytes, memoryview)):
            return content
        return content.encode(self.charset)  # type: ignore[no-any-return]

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        if headers is None:
            # The common case: the headers depend only on the status, body length, media type and charset.
            try:
                body = self.body
            except AttributeError:  # init_headers() called before render() (a subclass's own order)
                body = None
            key = (self.status_code, -1 if body is None else len(body), self.media_type, self.charset)
            defaults = _DEFAULT_HEADERS.get(key)  # (_default_headers' cache lookup, inlined: this path is hot)
            if defaults is None:
                defaults = _default_headers(key)
            self.raw_headers = [*defaults]  # (rather than list(defaults): see benchmarks/README.md)
            return

        raw_headers = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        add_length = add_type = True
        for name, _ in raw_headers:
            if name == b"content-length":
                add_length = False
            elif name == b"content-type":
                add_type = False
        if add_length:
            body = getattr(self, "body", None)
            status_code = self.status_code
            if body is not None and status_code >= 200 and status_code not in (204, 304):
                raw_headers.append(_content_length_header(len(body)))
        media_type = self.media_type
        if add_type and media_type is not None:
            raw_headers.append(_content_type_header(media_type, self.charset))
        self.raw_headers = raw_headers

    def _init_headers_without_body(self, headers: Mapping[str, str] | None) -> None:
        """``self.init_headers(headers)`` for a response that has no ``body`` (streaming, file).

        With no headers given and init_headers Response's own, the defaults are looked up here: init_headers
        would raise and catch an AttributeError looking for the body, which costs more than the rest of it.
        """
        if headers is not None or type(self).init_headers is not _RESPONSE_INIT_HEADERS:
            self.init_headers(headers)
            return
        self.raw_headers = [*_default_headers((self.status_code, -1, self.media_type, self.charset))]

    @property
    def headers(self) -> MutableHeaders:
        if not hasattr(self, "_headers"):
            self._headers = MutableHeaders(raw=self.raw_headers)
        return self._headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        _lazy.load("http")
        cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            _lazy.load("datetime")
            if isinstance(expires, datetime):
                _lazy.load("format_datetime")
                morsel["expires"] = format_datetime(expires, usegmt=True)
            else:
                morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("strict", "lax", "none"):
                raise AssertionError("samesite must be either 'strict', 'lax' or 'none'")
            morsel["samesite"] = samesite
        if partitioned:
            if sys.version_info >= (3, 14):  # pragma: no cover
                morsel["partitioned"] = True
            else:  # pragma: no cover
                raise ValueError("Partitioned cookies are only supported in Python 3.14 and above.")
        cookie_value = cookie.output(header="").strip()
        self.raw_headers.append((b"set-cookie", cookie_value.encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            start, body = _WS_START, _WS_BODY
        else:
            start, body = _HTTP_START, _HTTP_BODY
        await send({"type": start, "status": self.status_code, "headers": self.raw_headers})
        await send({"type": body, "body": self.body})
        if self.background is not None:
            await self.background()


# (Module globals: one class attribute read less per use.)
_RESPONSE_RENDER = Response.render
_RESPONSE_INIT_HEADERS = Response.init_headers


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
_ASCII_JSON_ENCODER = json.JSONEncoder(ensure_ascii=True, allow_nan=False, indent=None, separators=(",", ":"))
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # None where json has no C part
_JSON_DEFAULT = _JSON_ENCODER.default  # raises the usual TypeError for what JSON cannot represent
# The C encoder that _JSON_ENCODER.encode() builds for each call, built once and without its circular-reference
# check (markers=None). That check is a dict insert and delete per container, a noticeable share of the encoding
# (see benchmarks/README.md). Without it the encoder keeps no state, so one serves every render, nested or in
# threads. A circular document then recurses until RecursionError; render() re-encodes that one with the
# checked encoder, which raises what json.dumps raises: ValueError("Circular reference detected"), or the same
# RecursionError for a document that is merely too deep.
_UNCHECKED_ENCODER: Any = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(None, _JSON_DEFAULT, json.encoder.encode_basestring, None, ":", ",", False, False, False)
)
# Recursing until the limit is harmless at CPython's default limit, but a C stack overflow under a huge one
# (measured on an 8 MiB stack: 50,000 levels fine, 100,000 crash), so above this limit render() keeps the check.
_UNCHECKED_MAX_RECURSION_LIMIT = 20_000
_get_recursion_limit = sys.getrecursionlimit
_json_dumps = json.dumps  # what render() compares the module's json.dumps with (code may patch it, as upstream's)


class JSONResponse(Response):
    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if type(self) is not JSONResponse:
            super().__init__(content, status_code, headers, media_type, background)
            return
        # For JSONResponse itself, what super().__init__() runs (Response.__init__), inlined: no super object and
        # no extra frame (see benchmarks/README.md).
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = body = self.render(content)
        if headers is not None:
            self.init_headers(headers)
            return
        key = (status_code, len(body), self.media_type, self.charset)
        defaults = _DEFAULT_HEADERS.get(key)
        if defaults is None:
            defaults = _default_headers(key)
        self.raw_headers = [*defaults]

    def render(self, content: Any) -> bytes:
        # Same output as json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")),
        # which is what runs when json.dumps (or the module global json) is not the standard library's.
        if json.dumps is not _json_dumps:
            return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode(
                "utf-8"
            )
        encoder = _UNCHECKED_ENCODER
        try:
            if encoder is not None and _get_recursion_limit() <= _UNCHECKED_MAX_RECURSION_LIMIT:
                try:
                    return "".join(encoder(content, 0)).encode("utf-8")
                except RecursionError:
                    pass  # circular or too deep: the checked encoder below raises the right error, unchained
            return _JSON_ENCODER.encode(content).encode("utf-8")
        except UnicodeEncodeError:
            # A string holding a lone surrogate has no UTF-8 form; a client gets one into an app's data by sending
            # JSON with an escape such as "\ud800" (valid JSON, which json.loads accepts). The document goes out as
            # json.dumps(ensure_ascii=True) writes it, every non-ASCII character escaped, where upstream fails with
            # a 500 (README: "Differences from upstream").
            return _ASCII_JSON_ENCODER.encode(content).encode("ascii")


class RedirectResponse(Response):
    def __init__(
        self,
        url: str | URL,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content=b"", status_code=status_code, headers=headers, background=background)
        location = quote(str(url), safe=_REDIRECT_SAFE)
        if headers is None:
            self.raw_headers.append((b"location", location.encode("latin-1")))
        else:
            self.headers["location"] = location


Content = Union[str, bytes, memoryview]
SyncContentStream = Iterable[Content]
AsyncContentStream = AsyncIterable[Content]
ContentStream = Union[AsyncContentStream, SyncContentStream]


_ASYNC_GENERATOR = types.AsyncGeneratorType
# (A module constant: `(bytes, memoryview)` written in the loop would build the tuple for every chunk.)
_BINARY = (bytes, memoryview)


class StreamingResponse(Response):
    body_iterator: AsyncContentStream

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        # An async generator (what most apps stream) is known to be async-iterable without the ABC check's frame.
        if type(content) is _ASYNC_GENERATOR or isinstance(content, _AsyncIterableABC):
            self.body_iterator = content
        else:
            self.body_iterator = iterate_in_threadpool(content)
        self.status_code = status_code
        self.media_type = self.media_type if media_type is None else media_type
        self.background = background
        self._init_headers_without_body(headers)

    async def listen_for_disconnect(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break

    async def stream_response(self, send: Send) -> None:
        await send({"type": _HTTP_START, "status": self.status_code, "headers": self.raw_headers})
        # Past the error layers' trackers, which have noted the start and only pass the rest on (see _tracking).
        send = send_after_start(send)
        charset = self.charset
        async for chunk in self.body_iterator:
            if not isinstance(chunk, _BINARY):
                chunk = chunk.encode(charset)
            await send({"type": _HTTP_BODY, "body": chunk, "more_body": True})
        await send({"type": _HTTP_BODY, "body": b"", "more_body": False})

    async def _stream_then_cancel(self, send: Send, task_group: TaskGroup) -> None:
        await self.stream_response(send)
        task_group.cancel_scope.cancel()

    async def _stream_in_task_group(self, receive: Receive, send: Send) -> None:
        """The stream in a task of an anyio task group, the disconnect listener in this one."""
        _lazy.load("anyio")
        with collapse_excgroups():
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(self._stream_then_cancel, send, task_group)
                await self.listen_for_disconnect(receive)
                task_group.cancel_scope.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asgi = scope.get("asgi")
        spec_version = asgi.get("spec_version") if asgi else None
        if spec_version is not None and _spec_at_least_2_4(spec_version):
            # The server reports a closed connection by raising OSError from send().
            try:
                await self.stream_response(send)
            except OSError:
                raise ClientDisconnect() from None
        else:
            # Older servers: stop streaming as soon as the client goes away. On asyncio one plain task listens
            # (see starlette_core._disconnect_watch); elsewhere an anyio task group runs both.
            streamer = current_asyncio_task()
            if streamer is not None:
                await stream_watching_disconnect(
                    streamer, self.stream_response, send, self.listen_for_disconnect, receive
                )
            else:
                await self._stream_in_task_group(receive, send)

        if self.background is not None:
            await self.background()


class MalformedRangeHeader(Exception):
    def __init__(self, content: str = "Malformed range header.") -> None:
        super().__init__(content)
        self.content = content


class RangeNotSatisfiable(Exception):
    def __init__(self, max_size: int) -> None:
        super().__init__(max_size)
        self.max_size = max_size


# One byte-range-spec, already stripped: "first-last", "first-" or "-suffix" (ASCII digits, optional spaces).
# The three character classes ([0-9], whitespace, "-") are disjoint, so every character can be consumed by a
# single quantifier only: matching never backtracks more than a step and runs in linear time.
_RANGE_SPEC = re.compile(r"([0-9]*)\s*-\s*([0-9]*)")

# int() of this many digits is always cheap; longer numbers (leading zeros or hostile) take the slow path.
_SHORT_NUMBER = 18


def _position(digits: str, file_size: int) -> int:
    """The value of a run of ASCII digits, or ``file_size + 1`` when it is longer than any position in the file.

    Never converts more digits than ``file_size`` has, so a 50,000-digit number costs one scan (and never meets
    int()'s digit limit).
    """
    if len(digits) <= _SHORT_NUMBER:
        return int(digits)
    significant = digits.lstrip("0")
    if len(significant) > len(str(file_size)):
        return file_size + 1
    return int(significant or "0")


def _byte_range_set(http_range: str) -> str:
    """What follows ``bytes=`` in a Range header; MalformedRangeHeader for another unit or no ``=``."""
    units, equals, spec = http_range.partition("=")
    if not equals:
        raise MalformedRangeHeader()
    if units.strip().lower() != "bytes":
        raise MalformedRangeHeader("Only support bytes range")
    return spec


def _requested_ranges(spec: str, file_size: int) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every byte-range-spec in ``spec`` (``end`` exclusive and clamped to the file).

    Parts that are not ranges ("", "abc", "1-x", a lone "-") are ignored, as upstream does; MalformedRangeHeader
    when none is left. Splitting, stripping, dropping repeats and matching all run in C: the Python-level work is
    a few steps per distinct part.
    """
    ranges: list[tuple[int, int]] = []
    append = ranges.append
    for match in map(_RANGE_SPEC.fullmatch, dict.fromkeys(map(str.strip, spec.split(",")))):
        if match is None:
            continue
        first, last = match.groups()
        if first:
            end = min(_position(last, file_size) + 1, file_size) if last else file_size
            append((_position(first, file_size), end))
        elif last:  # suffix range: the last N bytes
            append((file_size - _position(last, file_size), file_size))
    if not ranges:
        raise MalformedRangeHeader("Range header: range must be requested")
    return ranges


def _merge_ranges(ranges: list[tuple[int, int]], file_size: int) -> list[tuple[int, int]]:
    """``ranges`` (not empty) sorted, with overlapping and adjacent ones joined.

    RangeNotSatisfiable when a range starts outside the file, else MalformedRangeHeader when one ends before it
    starts (that order, as upstream: ``bytes=20000-10`` on a small file is a 416).
    """
    ranges.sort()
    # Sorted by start: the smallest and the largest start tell whether every range starts inside the file.
    if ranges[0][0] < 0 or ranges[-1][0] >= file_size:
        raise RangeNotSatisfiable(file_size)
    merged: list[tuple[int, int]] = []
    current_start, current_end = ranges[0]
    for start, end in ranges:
        if start >= end:
            raise MalformedRangeHeader("Range header: start must be less than end")
        if start > current_end:
            merged.append((current_start, current_end))
            current_start, current_end = start, end
        elif end > current_end:  # overlapping, or adjacent (start == current_end): one part
            current_end = end
    merged.append((current_start, current_end))
    return merged


def _raw_get(raw_headers: list[tuple[bytes, bytes]], key: bytes) -> str | None:
    for existing, value in raw_headers:
        if existing == key:
            return value.decode("latin-1")
    return None


def _raw_setdefault(raw_headers: list[tuple[bytes, bytes]], key: bytes, value: str) -> None:
    for existing, _ in raw_headers:
        if existing == key:
            return
    raw_headers.append((key, value.encode("latin-1")))


def _replace_headers(
    raw_headers: list[tuple[bytes, bytes]], replacements: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """A new header list: ``raw_headers`` with each of ``replacements`` set as ``MutableHeaders.__setitem__`` sets
    it, which is how upstream's range answers set theirs: the first header of that name takes the value in its
    place (so the header order is upstream's), later ones are dropped, a name not there goes last."""
    headers = list(raw_headers)
    for name, value in replacements:
        positions = [index for index, (key, _) in enumerate(headers) if key == name]
        if not positions:
            headers.append((name, value))
            continue
        headers[positions[0]] = (name, value)
        for index in reversed(positions[1:]):
            del headers[index]
    return headers


_RANGE_METHODS = frozenset(("GET", "HEAD"))


class FileResponse(Response):
    chunk_size = 64 * 1024
    # A Range header with more byte-range-specs than this is ignored and the whole file is sent with a 200, as
    # upstream (1.x) does and HTTP allows. It bounds the parts of a multipart/byteranges answer (each costs a part
    # header and a few ASGI messages, however few bytes it holds) and the work of parsing them. Settable on a
    # subclass or on an instance.
    max_ranges = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        method: str | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        if method is not None:
            warn_as_module(
                _UPSTREAM_MODULE,
                "The 'method' parameter is not used, and it will be removed.",
                DeprecationWarning,
            )
        if media_type is None:
            _lazy.load("guess_type")
            # An unknown type is sent as bytes, as upstream 1.1 (0.47.3: text/plain, which browsers render).
            media_type = guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self._init_headers_without_body(headers)
        raw_headers = self.raw_headers
        _raw_setdefault(raw_headers, b"accept-ranges", "bytes")
        if filename is not None:
            quoted = quote(filename)
            if quoted != filename:
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            _raw_setdefault(raw_headers, b"content-disposition", disposition)
        self.stat_result = stat_result
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        _lazy.load("hashlib")
        _lazy.load("formatdate")
        size = str(stat_result.st_size)
        mtime = stat_result.st_mtime
        etag_base = f"{mtime}-{size}"
        etag = f'"{hashlib.md5(etag_base.encode(), usedforsecurity=False).hexdigest()}"'
        raw_headers = self.raw_headers
        _raw_setdefault(raw_headers, b"content-length", size)
        _raw_setdefault(raw_headers, b"last-modified", formatdate(mtime, usegmt=True))
        _raw_setdefault(raw_headers, b"etag", etag)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A websocket scope has no method: the response is a denial response (WebSocket.send_denial_response) to
        # the handshake, which is a GET (so never header-only), sent without pathsend, as upstream 1.x.
        is_http = scope["type"] == "http"
        send_header_only = is_http and scope["method"].upper() == "HEAD"
        extensions = scope.get("extensions")
        send_pathsend = is_http and extensions is not None and "http.response.pathsend" in extensions

        stat_result = self.stat_result
        if stat_result is None:
            try:
                _lazy.load("anyio")
                stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
            except FileNotFoundError:
                raise RuntimeError(f"File at path {self.path} does not exist.") from None
            self.set_stat_headers(stat_result)
            if not stat.S_ISREG(stat_result.st_mode):
                raise RuntimeError(f"File at path {self.path} is not a file.")

        http_range = self._range_to_answer(scope)
        if http_range is None:
            await self._handle_simple(send, send_header_only, send_pathsend)
        else:
            file_size = stat_result.st_size
            await self._handle_ranges(scope, receive, send, http_range, file_size, send_header_only, send_pathsend)

        if self.background is not None:
            await self.background()

    def _range_to_answer(self, scope: Scope) -> str | None:
        """The Range header to answer, or None to send the whole file: no Range header, an If-Range that does not
        match this file, or more byte-range-specs than ``max_ranges``; a request other than GET or HEAD, as
        upstream 1.10 (RFC 9110 defines Range for GET only)."""
        if scope.get("method", "GET").upper() not in _RANGE_METHODS:  # (a websocket handshake is a GET)
            return None
        http_range: str | None = None
        http_if_range: str | None = None
        for key, value in scope["headers"]:  # the first of each, as Headers.get() would give
            if key == b"range":
                if http_range is None:
                    http_range = value.decode("latin-1")
            elif key == b"if-range" and http_if_range is None:
                http_if_range = value.decode("latin-1")
        if http_range is None or (http_if_range is not None and not self._should_use_range(http_if_range)):
            return None
        if self._too_many_ranges(http_range):
            return None
        return http_range

    def _too_many_ranges(self, http_range: str) -> bool:
        """Whether a bytes Range header lists more than ``max_ranges`` byte-range-specs.

        Counted as upstream does, on the raw header before any parsing (commas + 1: empty and junk parts count
        too), so the count is one pass in C and the parser never sees more than ``max_ranges`` parts. A header
        that is not a bytes range at all keeps its 400.
        """
        try:
            spec = _byte_range_set(http_range)
        except MalformedRangeHeader:
            return False
        return spec.count(",") >= self.max_ranges

    async def _handle_ranges(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        http_range: str,
        file_size: int,
        send_header_only: bool,
        send_pathsend: bool,
    ) -> None:
        """Answer a Range header: 206 (one part or multipart/byteranges), 400 when malformed, 416 when not
        satisfiable."""
        try:
            ranges = self._parse_range_header(http_range, file_size)
        except MalformedRangeHeader as exc:
            await PlainTextResponse(exc.content, status_code=400)(scope, receive, send)
        except RangeNotSatisfiable as exc:
            response = PlainTextResponse(status_code=416, headers={"content-range": f"bytes */{exc.max_size}"})
            await response(scope, receive, send)
        else:
            if not ranges:  # a subclass's parser asking to ignore the header (upstream 1.x's convention)
                await self._handle_simple(send, send_header_only, send_pathsend)
            elif len(ranges) == 1:
                start, end = ranges[0]
                await self._handle_single_range(send, start, end, file_size, send_header_only)
            else:
                await self._handle_multiple_ranges(send, ranges, file_size, send_header_only)

    def _should_use_range(self, http_if_range: str) -> bool:
        raw_headers = self.raw_headers
        return http_if_range == _raw_get(raw_headers, b"etag") or http_if_range == _raw_get(
            raw_headers, b"last-modified"
        )

    async def _handle_simple(self, send: Send, send_header_only: bool, send_pathsend: bool) -> None:
        await send({"type": _HTTP_START, "status": self.status_code, "headers": self.raw_headers})
        if send_header_only:
            await send({"type": _HTTP_BODY, "body": b"", "more_body": False})
        elif send_pathsend:
            await send({"type": "http.response.pathsend", "path": str(self.path)})
        else:
            chunk_size = self.chunk_size
            _lazy.load("anyio")
            async with await anyio.open_file(self.path, mode="rb") as file:
                more_body = True
                while more_body:
                    chunk = await file.read(chunk_size)
                    more_body = len(chunk) == chunk_size
                    await send({"type": _HTTP_BODY, "body": chunk, "more_body": more_body})

    async def _handle_single_range(
        self, send: Send, start: int, end: int, file_size: int, send_header_only: bool
    ) -> None:
        headers = _replace_headers(
            self.raw_headers,
            [
                (b"content-range", f"bytes {start}-{end - 1}/{file_size}".encode("latin-1")),
                (b"content-length", b"%d" % (end - start)),
            ],
        )
        await send({"type": _HTTP_START, "status": 206, "headers": headers})
        if send_header_only:
            await send({"type": _HTTP_BODY, "body": b"", "more_body": False})
            return
        chunk_size = self.chunk_size
        _lazy.load("anyio")
        async with await anyio.open_file(self.path, mode="rb") as file:
            await file.seek(start)
            more_body = True
            while more_body:
                chunk = await file.read(min(chunk_size, end - start))
                start += len(chunk)
                more_body = bool(chunk) and start < end
                await send({"type": _HTTP_BODY, "body": chunk, "more_body": more_body})

    async def _handle_multiple_ranges(
        self, send: Send, ranges: list[tuple[int, int]], file_size: int, send_header_only: bool
    ) -> None:
        _lazy.load("token_hex")
        boundary = token_hex(13)
        content_type = _raw_get(self.raw_headers, b"content-type") or ""
        content_length, part_header = self.generate_multipart(ranges, boundary, file_size, content_type)
        headers = _replace_headers(
            self.raw_headers,
            [
                (b"content-type", f"multipart/byteranges; boundary={boundary}".encode("latin-1")),
                (b"content-length", b"%d" % content_length),
            ],
        )
        await send({"type": _HTTP_START, "status": 206, "headers": headers})
        if send_header_only:
            await send({"type": _HTTP_BODY, "body": b"", "more_body": False})
            return
        chunk_size = self.chunk_size
        _lazy.load("anyio")
        async with await anyio.open_file(self.path, mode="rb") as file:
            for start, end in ranges:
                await send({"type": _HTTP_BODY, "body": part_header(start, end), "more_body": True})
                await file.seek(start)
                while start < end:
                    chunk = await file.read(min(chunk_size, end - start))
                    if not chunk:  # the file shrank since it was stat'ed
                        break
                    start += len(chunk)
                    await send({"type": _HTTP_BODY, "body": chunk, "more_body": True})
                await send({"type": _HTTP_BODY, "body": b"\r\n", "more_body": True})
        await send({"type": _HTTP_BODY, "body": f"--{boundary}--".encode("latin-1"), "more_body": False})

    def generate_multipart(
        self,
        ranges: Sequence[tuple[int, int]],
        boundary: str,
        max_size: int,
        content_type: str,
    ) -> tuple[int, Callable[[int, int], bytes]]:
        r"""The total length of a multipart/byteranges body, and a function building one part's header.

        The body is, for each ``(start, end)`` range (``end`` exclusive), lines ending in CRLF (RFC 2046, as
        upstream 1.x writes them; 0.47.3 ended them in a bare LF)::

            --{boundary}\r\n
            Content-Type: {content_type}\r\n
            Content-Range: bytes {start}-{end - 1}/{max_size}\r\n
            \r\n
            {the bytes start..end-1}\r\n

        followed by the close delimiter ``--{boundary}--``.
        """
        # Fixed characters of one part: "--" + CRLF, "Content-Type: " + CRLF, "Content-Range: bytes " + "-" + "/"
        # + CRLF, the blank line's CRLF and the CRLF after the content.
        fixed = 49 + len(boundary) + len(content_type) + len(str(max_size))
        total = len(boundary) + 4  # "--{boundary}--"
        for start, end in ranges:
            total += fixed + len(str(start)) + len(str(end - 1)) + (end - start)

        def part_header(start: int, end: int) -> bytes:
            return (
                f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Range: bytes {start}-{end - 1}/{max_size}\r\n\r\n"
            ).encode("latin-1")

        return total, part_header

    @staticmethod
    def _parse_range_header(http_range: str, file_size: int) -> list[tuple[int, int]]:
        """The requested ``(start, end)`` byte ranges (``end`` exclusive), sorted and merged.

        Linear in the header's length, plus sorting the ranges (at most ``max_ranges`` of them when called from
        ``__call__``, which applies the cap first: this static method, called alone, does not); raises
        MalformedRangeHeader or RangeNotSatisfiable.
        """
        return _merge_ranges(_requested_ranges(_byte_range_set(http_range), file_size), file_size)
