"""``CORSMiddleware``: answers CORS preflight requests and adds CORS headers to the responses of simple ones.

Everything that does not depend on the request (the fixed headers, the compiled origin regex, the allowed sets)
is prepared in ``__init__``.  As upstream 1.x, every HTTP response says ``Vary: Origin`` (a preflight also names
the ``Access-Control-Request-*`` headers), whether or not its request was a CORS one, so that a cache never hands
one origin's answer to another.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Sequence

from starlette_core.datastructures import Headers, MutableHeaders
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALL_METHODS", "SAFELISTED_HEADERS", "CORSMiddleware"]

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
SAFELISTED_HEADERS = {"Accept", "Accept-Language", "Content-Language", "Content-Type"}


# What a preflight's answer depends on besides the origin.
_PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
)


class CORSMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
        allow_private_network: bool = False,
    ) -> None:
        # (allow_private_network comes last, where upstream 1.x has it before expose_headers: so that 0.47.3's
        # positional calls keep their meaning.)
        if "*" in allow_methods:
            allow_methods = ALL_METHODS

        allow_all_origins = "*" in allow_origins
        allow_all_headers = "*" in allow_headers
        # With credentials a wildcard is not allowed: the origin is mirrored back instead.
        preflight_explicit_allow_origin = not allow_all_origins or allow_credentials

        simple_headers: dict[str, str] = {}
        if allow_all_origins:
            simple_headers["Access-Control-Allow-Origin"] = "*"
        if allow_credentials:
            simple_headers["Access-Control-Allow-Credentials"] = "true"
        if expose_headers:
            simple_headers["Access-Control-Expose-Headers"] = ", ".join(expose_headers)

        preflight_headers = {"Vary": _PREFLIGHT_VARY}
        if not preflight_explicit_allow_origin:
            # (Otherwise the allowed origin itself is added per request.)
            preflight_headers["Access-Control-Allow-Origin"] = "*"
        preflight_headers["Access-Control-Allow-Methods"] = ", ".join(allow_methods)
        preflight_headers["Access-Control-Max-Age"] = str(max_age)
        all_allowed_headers = sorted(SAFELISTED_HEADERS | set(allow_headers))
        if not allow_all_headers:
            preflight_headers["Access-Control-Allow-Headers"] = ", ".join(all_allowed_headers)
        if allow_credentials:
            preflight_headers["Access-Control-Allow-Credentials"] = "true"

        self.app = app
        self.allow_origins = allow_origins
        self.allow_methods = allow_methods
        self.allow_headers = [header.lower() for header in all_allowed_headers]
        self.allow_credentials = allow_credentials
        self.allow_private_network = allow_private_network
        self.allow_all_origins = allow_all_origins
        self.allow_all_headers = allow_all_headers
        self.preflight_explicit_allow_origin = preflight_explicit_allow_origin
        self.allow_origin_regex = None if allow_origin_regex is None else re.compile(allow_origin_regex)
        self.simple_headers = simple_headers
        self.preflight_headers = preflight_headers
        self._origins = frozenset(allow_origins)
        self._methods = frozenset(allow_methods)
        self._headers = frozenset(self.allow_headers)
        # The allowed origins as they appear in a raw Origin header (one that cannot be encoded matches none).
        raw_origins = set()
        for origin in allow_origins:
            try:
                raw_origins.add(origin.encode("latin-1"))
            except UnicodeEncodeError:
                pass
        self._raw_origins = frozenset(raw_origins)
        # What send() adds from simple_headers, encoded once; the names it may set in a response.
        self._raw_simple_headers = [
            (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in simple_headers.items()
        ]
        # When the request's origin is allowed, send() adds these, then that origin, then these; the allowed origin
        # takes the place of simple_headers' "*" (its first entry) when there is one.
        if allow_all_origins:
            self._raw_before_origin, self._raw_after_origin = [], self._raw_simple_headers[1:]
        else:
            self._raw_before_origin, self._raw_after_origin = self._raw_simple_headers, []
        self._names_set = frozenset(
            [b"access-control-allow-origin", b"vary"] + [key for key, _ in self._raw_simple_headers]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        for name, origin in scope["headers"]:  # noqa: B007 (the first Origin value is used below)
            if name == b"origin":
                break
        else:
            # Not a CORS request, but what a cache may keep of its response depends on that.  (Handled here, not by
            # simple_response() and send(), which subclasses may have written for requests with an Origin.)
            await self.app(scope, receive, functools.partial(_vary_origin_send, send))
            return

        cls = type(self)
        if (
            scope["method"] != "OPTIONS"
            and cls.simple_response is _SIMPLE_RESPONSE
            and cls.send is _SEND
            and cls.allow_explicit_origin is _ALLOW_EXPLICIT_ORIGIN
        ):
            # A simple request, handled as simple_response() and send() would, but on the raw header lists and
            # without a coroutine per message.  (The scope gets a list of its own, as Headers(scope=...) gives it.)
            scope["headers"] = list(scope["headers"])
            await self.app(scope, receive, functools.partial(_simple_send, self, send, origin))
            return

        headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = self.preflight_response(request_headers=headers)
            await response(scope, receive, send)
            return
        await self.simple_response(scope, receive, send, request_headers=headers)

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins:
            return True
        if self.allow_origin_regex is not None and self.allow_origin_regex.fullmatch(origin):
            return True
        return origin in self._origins

    def preflight_response(self, request_headers: Headers) -> Response:
        requested_origin = request_headers["origin"]
        requested_method = request_headers["access-control-request-method"]
        requested_headers = request_headers.get("access-control-request-headers")

        headers = dict(self.preflight_headers)
        failures: list[str] = []

        if self.is_allowed_origin(origin=requested_origin):
            if self.preflight_explicit_allow_origin:
                headers["Access-Control-Allow-Origin"] = requested_origin
        else:
            failures.append("origin")

        if requested_method not in self._methods:
            failures.append("method")

        if requested_headers is not None:
            if self.allow_all_headers:
                # Any header is fine: say so by mirroring the requested ones back.
                headers["Access-Control-Allow-Headers"] = requested_headers
            else:
                for header in requested_headers.split(","):
                    if header.strip().lower() not in self._headers:
                        failures.append("headers")
                        break

        if self.allow_private_network and "access-control-request-private-network" in request_headers:
            # Private Network Access: the page may reach this server on a private network.  (When it is not allowed
            # the header is left out, as 0.47.3 does, which the browser takes as a refusal.)
            headers["Access-Control-Allow-Private-Network"] = "true"

        if failures:
            # A browser enforces CORS itself, but a 400 with the reasons is more useful than a bare refusal.
            return PlainTextResponse("Disallowed CORS " + ", ".join(failures), status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)

    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        send = functools.partial(self.send, send=send, request_headers=request_headers)
        await self.app(scope, receive, send)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] != "http.response.start":
            await send(message)
            return

        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)
        headers.update(self.simple_headers)
        origin = request_headers["origin"]

        if self.allow_all_origins:
            allow = self.allow_credentials
        else:
            allow = self.is_allowed_origin(origin=origin)
        if allow:
            # Mirror the request's origin: one of the allowed ones, or any with credentials, for which a browser
            # does not accept "*".
            self.allow_explicit_origin(headers, origin)
        else:
            headers.add_vary_header("Origin")

        await send(message)

    @staticmethod
    def allow_explicit_origin(headers: MutableHeaders, origin: str) -> None:
        headers["Access-Control-Allow-Origin"] = origin
        headers.add_vary_header("Origin")


_SIMPLE_RESPONSE = CORSMiddleware.simple_response
_SEND = CORSMiddleware.send
_ALLOW_EXPLICIT_ORIGIN = CORSMiddleware.allow_explicit_origin
_IS_ALLOWED_ORIGIN = CORSMiddleware.is_allowed_origin
_ALLOW_ORIGIN = b"access-control-allow-origin"
_VARY_ORIGIN = (b"vary", b"Origin")


def _add_vary_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """``MutableHeaders.add_vary_header("Origin")`` on a raw list."""
    for name, value in headers:
        if name == b"vary":
            _set_header(headers, b"vary", value + b", Origin")
            return
    headers.append(_VARY_ORIGIN)


def _set_header(headers: list[tuple[bytes, bytes]], key: bytes, value: bytes) -> None:
    """``MutableHeaders.__setitem__`` on a raw list: the first ``key`` gets ``value``, the others go."""
    for index, item in enumerate(headers):
        if item[0] == key:
            headers[index] = (key, value)
            headers[index + 1 :] = [item for item in headers[index + 1 :] if item[0] != key]
            return
    headers.append((key, value))


def _vary_origin_send(send: Send, message: Message) -> Awaitable[None]:
    """The send of a request without ``Origin`` (bound to ``send`` with functools.partial): ``Vary: Origin`` on the
    response start (in a new list, as ``MutableHeaders(scope=message)`` gives it), every message passed on."""
    if message["type"] == "http.response.start":
        headers = message["headers"] = list(message.get("headers", ()))
        _add_vary_origin(headers)
    return send(message)


def _simple_send(middleware: CORSMiddleware, send: Send, origin: bytes, message: Message) -> Awaitable[None]:
    """The send of a simple CORS request (bound to its first three arguments with functools.partial): adds the
    CORS headers to the response start and passes every message on.

    Not a coroutine of its own: it changes the start message and hands back the wrapped send's awaitable.
    """
    if message["type"] != "http.response.start":
        return send(message)

    if middleware.allow_all_origins:
        allow = middleware.allow_credentials
    elif type(middleware).is_allowed_origin is _IS_ALLOWED_ORIGIN and middleware.allow_origin_regex is None:
        allow = origin in middleware._raw_origins
    else:
        allow = middleware.is_allowed_origin(origin=origin.decode("latin-1"))

    # The message gets a new list (the app's own stays as it was), as MutableHeaders(scope=message) gives it.
    headers = message.get("headers", ())
    if type(headers) is list:
        for item in headers:
            if item[0] in middleware._names_set:
                break
        else:
            # None of the headers to set is there yet: they are all appended, in the order send() leaves them.
            if allow:
                message["headers"] = [
                    *headers,
                    *middleware._raw_before_origin,
                    (_ALLOW_ORIGIN, origin),
                    *middleware._raw_after_origin,
                    _VARY_ORIGIN,
                ]
            else:
                message["headers"] = [*headers, *middleware._raw_simple_headers, _VARY_ORIGIN]
            return send(message)

    headers = message["headers"] = list(headers)
    for key, value in middleware._raw_simple_headers:
        _set_header(headers, key, value)
    if allow:
        # allow_explicit_origin(): set Access-Control-Allow-Origin (then, as otherwise, add Origin to Vary).
        _set_header(headers, _ALLOW_ORIGIN, origin)
    _add_vary_origin(headers)
    return send(message)
