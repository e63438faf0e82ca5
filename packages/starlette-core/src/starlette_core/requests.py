"""``HTTPConnection`` (what HTTP requests and websockets share) and ``Request``."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Generic, NoReturn, Union
from typing import cast as cast  # upstream's module has the name

from starlette_core._utils import AwaitableOrContextManager, AwaitableOrContextManagerWrapper, LazyImports
from starlette_core.datastructures import (
    URL,
    Address,
    FormData,
    Headers,
    QueryParams,
    State,
    _parse_escaped_query,
)
from starlette_core.exceptions import HTTPException
from starlette_core.types import Message, Receive, Scope, Send

if TYPE_CHECKING:  # pragma: no cover
    from starlette_core.datastructures import URLPath


def _parse_options_header() -> Any:
    from starlette_core.formparsers import _python_multipart

    return _python_multipart("parse_options_header")


# Upstream's names for what this module imports on first use (see LazyImports): the form parsers and
# python-multipart (None when it is not installed, as upstream) load with the first form.
_lazy = LazyImports(
    globals(),
    {
        "FormParser": "starlette_core.formparsers:FormParser",
        "MultiPartParser": "starlette_core.formparsers:MultiPartParser",
        "MultiPartException": "starlette_core.formparsers:MultiPartException",
        "parse_options_header": _parse_options_header,
        "anyio": "anyio",
        "http_cookies": "http.cookies",
    },
)
if TYPE_CHECKING:
    import anyio
    from python_multipart.multipart import parse_options_header

    from starlette_core.formparsers import FormParser, MultiPartException, MultiPartParser
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir

__all__ = [
    "SERVER_PUSH_HEADERS_TO_COPY",
    "ClientDisconnect",
    "HTTPConnection",
    "Request",
    "StateT",
    "cookie_parser",
    "empty_receive",
    "empty_send",
]

SERVER_PUSH_HEADERS_TO_COPY = {
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "user-agent",
}

_new_headers = Headers.__new__
_new_query_params = QueryParams.__new__
_json_loads = json.loads
# What json.loads(text) runs for a str: the default decoder's C scanner between two runs of JSON whitespace.
_json_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_json_whitespace = re.compile(r"[ \t\n\r]*").match
_JSON_WHITESPACE = frozenset(b" \t\n\r")
# Nesting deeper than the decoder follows is invalid JSON from the client like any other: raise what invalid JSON
# raises (as WebSocket.receive_json does), so that an app which answers bad JSON with a 400 answers this too.
_JSON_TOO_DEEP = "JSON nested too deeply"

# Backslash escapes inside a quoted cookie value: an octal triple (\012) or any other escaped character (\").
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _cookie_escape(match: re.Match[str]) -> str:
    octal = match.group(1)
    return chr(int(octal, 8)) if octal else match.group(2)


def _unquote_cookie(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            return _COOKIE_ESCAPE.sub(_cookie_escape, value)
    return value


def cookie_parser(cookie_string: str) -> dict[str, str]:
    """Parse a ``Cookie`` header the way browsers write it (not the strict RFC 6265 grammar).

    Pairs are split on ``;``; a chunk without ``=`` is a value with an empty name; surrounding whitespace is
    dropped, quoted values are unquoted, and malformed chunks never raise.  A later duplicate name wins.
    """
    cookies: dict[str, str] = {}
    for chunk in cookie_string.split(";"):
        key, sep, value = chunk.partition("=")
        if sep:
            key = key.strip()
            value = value.strip()
            if key or value:
                cookies[key] = value
        else:
            value = key.strip()
            if value:
                cookies[""] = value
    if '"' in cookie_string:
        # Unquoting the value each name ended up with gives what unquoting every value as it came does.
        for key, value in cookies.items():
            cookies[key] = _unquote_cookie(value)
    return cookies


class ClientDisconnect(Exception):
    """The client went away before its request body was complete (``stream()``, ``body()``, ``form()`` and what
    reads through them raise it), or while a streaming response was being sent.

    Not a server error: ServerErrorMiddleware ends the request quietly, with no 500 and nothing for the server to
    log.
    """


# The type of ``request.state`` (as upstream 0.52): ``Request[MyState]``, where ``MyState`` is a ``TypedDict`` or a
# ``State`` subclass, types ``request.state``; a plain ``Request`` keeps ``State``. The default is given where
# ``typing.TypeVar`` takes one (3.13); type checkers read typing_extensions' (too slow to import at run time).
if TYPE_CHECKING:
    from typing_extensions import TypeVar

    StateT = TypeVar("StateT", bound=Union[Mapping[str, Any], State], default=State)
elif sys.version_info >= (3, 13):  # pragma: no cover
    from typing import TypeVar

    StateT = TypeVar("StateT", bound=Union[Mapping[str, Any], State], default=State)
else:  # pragma: no cover
    from typing import TypeVar

    StateT = TypeVar("StateT", bound=Union[Mapping[str, Any], State])


class HTTPConnection(Mapping[str, Any], Generic[StateT]):
    """The parts of an HTTP request and a websocket connection that come from the scope.

    Every derived value (``url``, ``headers``, ``query_params``, ``cookies``, ...) is built on first access and
    cached on the instance.
    """

    # Lazily computed caches; class-level ``None`` defaults keep construction to a couple of assignments.
    _url: URL | None = None
    _base_url: URL | None = None
    _headers: Headers | None = None
    _query_params: QueryParams | None = None
    _cookies: dict[str, str] | None = None
    _state: State | None = None

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        assert scope["type"] in ("http", "websocket")
        self.scope = scope

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    # A connection is a Mapping, but two connections are equal only when they are the same object.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @property
    def url(self) -> URL:
        url = self._url
        if url is None:
            url = self._url = URL(scope=self.scope)
        return url

    @property
    def base_url(self) -> URL:
        base_url = self._base_url
        if base_url is None:
            scope = dict(self.scope)
            # Inside a Mount the scope's root_path has grown; url_for must still be relative to the app's root.
            root_path = scope.get("app_root_path", scope.get("root_path", ""))
            scope["path"] = root_path if root_path.endswith("/") else root_path + "/"
            scope["query_string"] = b""
            scope["root_path"] = root_path
            base_url = self._base_url = URL(scope=scope)
        return base_url

    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            # Headers(scope=...) without the argument checks: the raw list is shared with the scope.
            scope = self.scope
            headers = self._headers = _new_headers(Headers)
            headers._list = scope["headers"] = [*scope["headers"]]
        return headers

    @property
    def query_params(self) -> QueryParams:
        query_params = self._query_params
        if query_params is None:
            query_string = self.scope["query_string"]
            if type(query_string) is bytes:
                # QueryParams(query_string) without the argument handling.
                # (_parse_query_string's two steps, inlined: one call less per request.)
                query = query_string.decode("latin-1").replace("+", " ")
                query_params = _new_query_params(QueryParams)
                if "%" in query:
                    items = _parse_escaped_query(query)
                    query_params._dict = dict(items)
                else:
                    # _split_pairs, inlined, building the dict as it goes (see benchmarks/README.md).
                    items = []
                    values = {}
                    for field in query.split("&"):
                        if field:
                            name, _, value = field.partition("=")
                            items.append((name, value))
                            values[name] = value
                    query_params._dict = values
                query_params._list = items
            else:
                query_params = QueryParams(query_string)
            self._query_params = query_params
        return query_params

    @property
    def path_params(self) -> dict[str, Any]:
        # (Typed by annotation rather than typing.cast, which is a function call on every access.)
        path_params: dict[str, Any] = self.scope.get("path_params", {})
        return path_params

    @property
    def cookies(self) -> dict[str, str]:
        cookies = self._cookies
        if cookies is None:
            headers = self._headers
            if headers is None or type(self).headers is not _CONNECTION_HEADERS:
                headers = self.headers
            # Every Cookie header, joined with "; " (as upstream 0.49; 0.47.3 read the first one only).
            if type(headers) is Headers:
                # "; ".join(headers.getlist("cookie")), inlined (a plain loop: a list comprehension is a frame).
                values: list[bytes] = []
                for name, value in headers._list:
                    if name == b"cookie":
                        values.append(value)
                header = b"; ".join(values).decode("latin-1") if values else None
            else:
                header = "; ".join(headers.getlist("cookie"))
            cookies = self._cookies = cookie_parser(header) if header else {}
        return cookies

    @property
    def client(self) -> Address | None:
        # The ASGI spec allows the client to be unknown (None), or to be a 2-item list rather than a tuple.
        host_port = self.scope.get("client")
        if host_port is None:
            return None
        return Address(*host_port)

    @property
    def session(self) -> dict[str, Any]:
        assert "session" in self.scope, "SessionMiddleware must be installed to access request.session"
        session: dict[str, Any] = self.scope["session"]
        if type(session) is not dict:
            # SessionMiddleware's Session records that it was read (for its Vary: Cookie); a plain dict is left be.
            mark_accessed = getattr(session, "mark_accessed", None)
            if mark_accessed is not None:
                mark_accessed()
        return session

    @property
    def auth(self) -> Any:
        assert "auth" in self.scope, "AuthenticationMiddleware must be installed to access request.auth"
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        assert "user" in self.scope, "AuthenticationMiddleware must be installed to access request.user"
        return self.scope["user"]

    @property
    def state(self) -> StateT:
        state = self._state
        if state is None:
            # The State stores its attributes in scope["state"], so they are shared with the rest of the request.
            state = self._state = State(self.scope.setdefault("state", {}))
        return state  # type: ignore[return-value]  # what StateT describes (as upstream)

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        provider = self.scope.get("router") or self.scope.get("app")
        if provider is None:
            raise RuntimeError("The `url_for` method can only be used inside a Starlette application or with a router.")
        url_path: URLPath = provider.url_path_for(name, **path_params)
        return url_path.make_absolute_url(base_url=self.base_url)


async def empty_receive() -> NoReturn:
    raise RuntimeError("Receive channel has not been made available")


async def empty_send(message: Message) -> NoReturn:
    raise RuntimeError("Send channel has not been made available")


class Request(HTTPConnection[StateT]):
    # Per-request state starts as these class-level defaults and becomes an instance attribute when it changes.
    _form: FormData | None = None
    _stream_consumed = False
    _is_disconnected = False

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send):
        assert scope["type"] == "http"
        self.scope = scope
        self._receive = receive
        self._send = send

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    @property
    def receive(self) -> Receive:
        return self._receive

    async def stream(self) -> AsyncGenerator[bytes, None]:
        if hasattr(self, "_body"):
            yield self._body
            yield b""
            return
        if self._stream_consumed:
            raise RuntimeError("Stream consumed")
        receive = self._receive
        while not self._stream_consumed:
            message = await receive()
            message_type = message["type"]
            if message_type == "http.request":
                body = message.get("body", b"")
                if not message.get("more_body", False):
                    self._stream_consumed = True
                if body:
                    yield body
            elif message_type == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()
        yield b""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            if type(self).stream is not _REQUEST_STREAM:  # (a module global: one class attribute read less)
                # A subclass that reshapes the stream (e.g. decompresses it): its chunks make the body.
                chunks = [chunk async for chunk in self.stream()]
                self._body = chunks[0] if len(chunks) == 2 and not chunks[1] else b"".join(chunks)
                return self._body
            # What stream() yields, joined, read straight from receive (no async generator).
            if self._stream_consumed:
                raise RuntimeError("Stream consumed")
            receive = self._receive
            body = b""
            chunks_read: list[bytes] | None = None
            while True:
                message = await receive()
                message_type = message["type"]
                if message_type == "http.request":
                    chunk = message.get("body", b"")
                    if chunk:
                        if not body:
                            body = chunk
                        elif chunks_read is None:
                            chunks_read = [body, chunk]
                        else:
                            chunks_read.append(chunk)
                    if not message.get("more_body", False):
                        self._stream_consumed = True
                        # The usual case is one message: keep its body rather than copying it through join().
                        self._body = body if chunks_read is None else b"".join(chunks_read)
                        break
                elif message_type == "http.disconnect":
                    self._is_disconnected = True
                    raise ClientDisconnect()
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            # json.loads(body) for a body that it would decode as UTF-8 (no BOM, no NUL in the first two bytes,
            # at least 4 bytes), without its Python-level layers: the same decoder, the same errors.
            if json.loads is _json_loads and type(body) is bytes and len(body) >= 4 and 0 < body[0] < 128 and body[1]:
                text = body.decode("utf-8", "surrogatepass")
                # (The whitespace pattern matches everywhere, possibly the empty string: never None.)
                start = _json_whitespace(text, 0).end() if body[0] in _JSON_WHITESPACE else 0  # type: ignore[union-attr]
                try:
                    value, end = _json_scan(text, start)
                except StopIteration as err:
                    raise json.JSONDecodeError("Expecting value", text, err.value) from None
                except RecursionError:
                    raise json.JSONDecodeError(_JSON_TOO_DEEP, text, 0) from None
                if end != len(text):
                    end = _json_whitespace(text, end).end()  # type: ignore[union-attr]
                    if end != len(text):
                        raise json.JSONDecodeError("Extra data", text, end)
                self._json = value
            else:
                try:
                    self._json = json.loads(body)
                except RecursionError:
                    # The error's document is the text json.loads decoded the body to (bytes would break its
                    # line/column computation); "replace" so that building the error never fails itself.
                    text = body.decode(json.detect_encoding(body), "replace")
                    raise json.JSONDecodeError(_JSON_TOO_DEEP, text, 0) from None
        return self._json

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        if self._form is None:
            # The module's globals, as upstream's (the parsers and python-multipart load with the first form).
            if _lazy.load("parse_options_header") is None:
                from starlette_core.formparsers import _MISSING_MULTIPART, MultipartNotInstalled

                raise MultipartNotInstalled(_MISSING_MULTIPART)
            for name in ("FormParser", "MultiPartParser", "MultiPartException"):
                _lazy.load(name)
            # (The parsers' module is loaded now: reading its memo this way costs less than an import statement.)
            parsed_options = sys.modules["starlette_core.formparsers"]._parsed_options
            content_type, _ = parsed_options(parse_options_header, self.headers.get("content-type"))
            parser: MultiPartParser | FormParser
            if content_type == b"multipart/form-data":
                parser = MultiPartParser(
                    self.headers,
                    self.stream(),
                    max_files=max_files,
                    max_fields=max_fields,
                    max_part_size=max_part_size,
                )
            elif content_type == b"application/x-www-form-urlencoded":
                parser = FormParser(self.headers, self.stream())
                parser.max_fields = max_fields
                parser.max_part_size = max_part_size
            else:
                self._form = FormData()
                return self._form
            try:
                self._form = await parser.parse()
            except MultiPartException as exc:
                if "app" in self.scope:
                    raise HTTPException(status_code=400, detail=exc.message) from exc
                raise
        return self._form

    def form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> AwaitableOrContextManager[FormData]:
        """Parse the body as a form (once: later calls return the same ``FormData``).

        Await it, or use it as ``async with request.form() as form:`` to close uploaded files on exit.
        """
        return AwaitableOrContextManagerWrapper(
            self._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
        )

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        if not self._is_disconnected:
            message: Message = {}
            # Look at a message only if one is ready right now: the receive runs in an already-cancelled scope.
            _lazy.load("anyio")  # on first use: most apps never ask
            with anyio.CancelScope() as scope:
                scope.cancel()
                message = await self._receive()
            if message.get("type") == "http.disconnect":
                self._is_disconnected = True
        return self._is_disconnected

    async def send_early_hints(self, link: str, /, *additional_links: str) -> None:
        """Send a ``103 Early Hints`` response with one ``Link`` header per argument (as upstream 1.8), when the
        server offers the ``http.response.early_hint`` extension; otherwise do nothing."""
        if "http.response.early_hint" in self.scope.get("extensions", {}):
            links = [value.encode("latin-1") for value in (link, *additional_links)]
            await self._send({"type": "http.response.early_hint", "links": links})

    async def send_push_promise(self, path: str) -> None:
        if "http.response.push" in self.scope.get("extensions", {}):
            headers = self.headers
            raw_headers: list[tuple[bytes, bytes]] = []
            for name in SERVER_PUSH_HEADERS_TO_COPY:
                encoded = name.encode("latin-1")
                for value in headers.getlist(name):
                    raw_headers.append((encoded, value.encode("latin-1")))
            await self._send({"type": "http.response.push", "path": path, "headers": raw_headers})


_REQUEST_STREAM = Request.stream  # what Request.body() compares a subclass's stream with
_CONNECTION_HEADERS = HTTPConnection.headers
