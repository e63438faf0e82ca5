"""Routes, mounts, hosts and the router (``starlette.routing``).

The router picks a route exactly as a first-match scan of ``routes`` calling each route's ``matches()`` would.
To scan fewer routes it keeps, per scope type, an index (see ``_RouteIndex``) that leaves out only routes that
provably cannot match a path: the library's own Route, WebSocketRoute and Mount, with their own ``matches()``,
whose compiled path cannot match it. Every other route is consulted in its place in the list, as upstream does.
"""

from __future__ import annotations

import contextlib
import functools
import re
import traceback
import types
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import Awaitable, Collection, Generator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager as AbstractAsyncContextManager  # upstream's module has the name
from contextlib import AbstractContextManager as AbstractContextManager  # upstream's module has the name
from contextlib import asynccontextmanager as asynccontextmanager  # upstream's module has the name
from enum import Enum
from re import Pattern as Pattern  # upstream's module has the name
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, TypeVar

from starlette_core._exception_handler import (
    handle_exception,
    published_handlers,
    track_response_start,
    wrap_app_handling_exceptions,
)
from starlette_core._utils import LazyImports, get_route_path, is_async_callable, warn_as_module
from starlette_core.concurrency import run_in_threadpool
from starlette_core.datastructures import URL, Headers, URLPath
from starlette_core.exceptions import HTTPException, StarletteDeprecationWarning
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response
from starlette_core.types import ASGIApp, Lifespan, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketClose
from starlette_middleware import Middleware
from starlette_middleware._body_limit import RESPONDER_SCOPE_KEY, check_limit, limit, limit_endpoint
from starlette_routing.convertors import CONVERTOR_TYPES, Convertor

_T = TypeVar("_T")


class NoMatchFound(Exception):
    """Raised by ``url_path_for`` when no route has that name and those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(list(path_params.keys()))
        super().__init__(f'No route exists for name "{name}" and params "{params}".')


class Match(Enum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


# The members as plain module globals: reading ``Match.FULL`` goes through the enum class on every request.
_NONE, _PARTIAL, _FULL = Match.NONE, Match.PARTIAL, Match.FULL

# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.routing"

# Upstream's name for what this module imports on first use (see LazyImports): inspect pulls in ast, dis,
# tokenize..., and only building a router with a lifespan, and a deprecated helper, need it.
_lazy = LazyImports(globals(), {"inspect": "inspect"})
if TYPE_CHECKING:
    import inspect
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


def iscoroutinefunction_or_partial(obj: Any) -> bool:
    """Deprecated: whether ``obj`` (or the function a partial wraps) is an ``async def`` function."""
    warn_as_module(
        _UPSTREAM_MODULE,
        "iscoroutinefunction_or_partial is deprecated, and will be removed in a future release.",
        DeprecationWarning,
    )
    _lazy.load("inspect")
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj)


def request_response(func: Callable[[Request], Awaitable[Response] | Response]) -> ASGIApp:
    """Turn ``func(request) -> response`` (async, or sync to run in the thread pool) into an ASGI app that builds
    the Request, awaits the endpoint and its response, and applies the app's exception handlers to anything raised
    on the way (what ``wrap_app_handling_exceptions`` does).
    """
    endpoint: Callable[[Request], Awaitable[Response]] = (
        func if is_async_callable(func) else functools.partial(run_in_threadpool, func)  # type: ignore[call-arg,assignment]
    )

    # (A function rather than an object with __call__: calling it is cheaper, and it is what upstream returns.)
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if wrap_app_handling_exceptions is not _wrap_app_handling_exceptions:
            await _wrapped_endpoint(endpoint, request, scope, receive, send)
            return
        tracking_send = track_response_start(send)
        try:
            response = await endpoint(request)
            await response(scope, receive, tracking_send.forward)
        except Exception as exc:
            started = tracking_send.response_started
            if not await handle_exception(exc, published_handlers(scope), started, request, scope, receive, send):
                raise

    return app


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """Turn ``async func(websocket)`` into an ASGI app, with the app's exception handlers applied."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        if wrap_app_handling_exceptions is not _wrap_app_handling_exceptions:
            await _wrapped_session(func, websocket, scope, receive, send)
            return
        try:
            await func(websocket)
        except Exception as exc:
            # The session talks through the WebSocket, never through an HTTP response: none has started.
            if not await handle_exception(exc, published_handlers(scope), False, websocket, scope, receive, send):
                raise

    return app


# What request_response's and websocket_session's apps compare the module global with: code may patch
# ``wrap_app_handling_exceptions`` here, as on upstream's module, and then the endpoint runs through it, as upstream's.
_wrap_app_handling_exceptions = wrap_app_handling_exceptions


async def _wrapped_endpoint(
    endpoint: Callable[[Request], Awaitable[Response]], request: Request, scope: Scope, receive: Receive, send: Send
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(request)
        await response(scope, receive, send)

    await wrap_app_handling_exceptions(app, request)(scope, receive, send)


async def _wrapped_session(
    func: Callable[[WebSocket], Awaitable[None]], websocket: WebSocket, scope: Scope, receive: Receive, send: Send
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await func(websocket)

    await wrap_app_handling_exceptions(app, websocket)(scope, receive, send)


def get_name(endpoint: Callable[..., Any]) -> str:
    return getattr(endpoint, "__name__", endpoint.__class__.__name__)


def replace_params(
    path: str,
    param_convertors: dict[str, Convertor[Any]],
    path_params: dict[str, str],
) -> tuple[str, dict[str, str]]:
    """Fill the ``{name}`` placeholders of ``path`` that ``path_params`` has a value for, in one pass (a value
    that looks like a placeholder, ``"{other}"``, stays as it is, as upstream 1.10); used parameters are removed
    from ``path_params``. Placeholders without a value stay in the path."""
    used: list[str] = []

    def fill(found: re.Match[str]) -> str:
        key = found.group(1)
        if key not in path_params:
            return found.group(0)
        used.append(key)
        return param_convertors[key].to_string(path_params[key])

    path = PARAM_FORMAT_REGEX.sub(fill, path)
    for key in used:
        path_params.pop(key, None)  # (a placeholder may appear twice)
    return path, path_params


# A parameter name; what compile_path accepts in a placeholder is what it writes into the format string.
_PARAM_NAME = "[a-zA-Z_][a-zA-Z0-9_]*"
# Match a parameter placeholder such as "{param}" or "{param:int}" in a route's path (compile_path).
PARAM_REGEX = re.compile("{(" + _PARAM_NAME + ")(:" + _PARAM_NAME + ")?}")
# Match a placeholder of a compiled path's format string, "{param}" (replace_params), as upstream 1.x.
PARAM_FORMAT_REGEX = re.compile("{(" + _PARAM_NAME + ")}")


def compile_path(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """Compile a path or host pattern with ``{name[:type]}`` parameters.

    Returns the anchored regex, the format string (``"/users/{id}"``) and the convertor of each parameter.
    A host pattern (not starting with "/") ignores any ":port" at its end and matches without regard to case
    (``re.IGNORECASE``, as upstream 1.9: host names are case-insensitive).
    """
    is_host = not path.startswith("/")
    regex_parts = ["^"]
    format_parts: list[str] = []
    convertors: dict[str, Convertor[Any]] = {}
    duplicated: set[str] = set()
    position = 0
    for found in PARAM_REGEX.finditer(path):
        name, type_suffix = found.groups("str")
        type_name = type_suffix.lstrip(":")
        assert type_name in CONVERTOR_TYPES, f"Unknown path convertor '{type_name}'"
        convertor = CONVERTOR_TYPES[type_name]
        literal = path[position : found.start()]
        regex_parts.append(re.escape(literal))
        regex_parts.append(f"(?P<{name}>{convertor.regex})")
        format_parts.append(literal)
        format_parts.append("{" + name + "}")
        if name in convertors:
            duplicated.add(name)
        convertors[name] = convertor
        position = found.end()
    if duplicated:
        names = ", ".join(sorted(duplicated))
        ending = "s" if len(duplicated) > 1 else ""
        raise ValueError(f"Duplicated param name{ending} {names} at path {path}")
    tail = path[position:]
    if is_host:
        regex_parts.append(re.escape(tail.split(":")[0]))
    else:
        regex_parts.append(re.escape(tail))
    regex_parts.append("$")
    format_parts.append(tail)
    return re.compile("".join(regex_parts), re.IGNORECASE if is_host else 0), "".join(format_parts), convertors


def _inherited_params(scope: Scope) -> dict[str, Any]:
    """A copy of the path params that enclosing mounts put in the scope (a route adds its own to it)."""
    inherited = scope.get("path_params")
    return dict(inherited) if inherited else {}


def _convert_params(
    params: dict[str, str], convertors: dict[str, Convertor[Any]], scope: Scope
) -> dict[str, Any] | None:
    """The scope's path params updated with the converted ``params``; None when a convertor refuses a value."""
    path_params = _inherited_params(scope)
    try:
        for key, value in params.items():
            path_params[key] = convertors[key].convert(value)
    except ValueError:
        # A value the pattern accepted but the convertor cannot represent (e.g. an int of 5000 digits):
        # the path does not match, the client gets a 404 rather than a 500.
        return None
    return path_params


def _unwrap_partial(endpoint: Any) -> Any:
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    return endpoint


def _wrap_middleware(app: ASGIApp, middleware: Sequence[Middleware] | None) -> ASGIApp:
    if middleware is not None:
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
    return app


class BaseRoute:
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raise NotImplementedError()

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NotImplementedError()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Use a route on its own as an ASGI app: 404 (or a websocket close) when it does not match."""
        match, child_scope = self.matches(scope)
        if match is _NONE:
            if scope["type"] == "http":
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            elif scope["type"] == "websocket":
                await WebSocketClose()(scope, receive, send)
            return
        scope.update(child_scope)
        await self.handle(scope, receive, send)


class _BodyLimited:
    """``max_body_size``: a limit on request bodies for what this object routes to (see
    :mod:`starlette_middleware.body_limit`, the one mechanism behind every limit).

    Set it with the constructor's ``max_body_size=`` keyword, after construction (``route.max_body_size =
    1_000_000``, beyond upstream) or inline with ``with_max_body_size`` (beyond upstream); None (the default) keeps
    whatever limit applies further out. The innermost setting wins.
    """

    _max_body_size: Optional[int] = None

    @property
    def max_body_size(self) -> int | None:
        return self._max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int | None) -> None:
        self._max_body_size = check_limit(value)


_BodyLimitedT = TypeVar("_BodyLimitedT")


def with_max_body_size(target: _BodyLimitedT, max_body_size: int | None) -> _BodyLimitedT:
    """Set ``max_body_size`` on a Starlette app, Router, Route or Mount and return it (for use inline)::

    routes = [with_max_body_size(Route("/upload", upload, methods=["POST"]), 50_000_000)]
    """
    if not isinstance(getattr(type(target), "max_body_size", None), property):
        raise TypeError(f"{type(target).__name__} does not support max_body_size")
    target.max_body_size = max_body_size  # type: ignore[attr-defined]
    return target


def _method_allowed(methods: Collection[str] | None, scope: Scope) -> bool:
    """Whether a route limited to ``methods`` (None or empty: any method) takes this request's method."""
    return not methods or scope["method"] in methods


def _method_not_allowed(methods: Collection[str], scope: Scope) -> Response:
    headers = {"Allow": ", ".join(sorted(methods))}
    if "app" in scope:
        raise HTTPException(status_code=405, headers=headers)
    return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)


# How many times a route's compiled path or ``matches`` was replaced after construction: route indexes built
# before such an edit are stale (see _RouteList.candidates).
_route_edits = 0


class _IndexedRoute(BaseRoute):
    """A route that a route index may read: replacing its ``path_regex``, ``matches`` or class makes every index
    stale."""

    path_regex: re.Pattern[str]

    def __setattr__(self, name: str, value: Any) -> None:
        # (Construction sets path_regex once: that is not an edit. Nothing of ours sets matches or __class__.)
        # (getattr, not self.__dict__: reading __dict__ would make every later attribute read of the route slower.)
        if name in ("matches", "__class__") or (name == "path_regex" and getattr(self, "path_regex", None) is not None):
            global _route_edits
            _route_edits += 1
        super().__setattr__(name, value)


class _EndpointRoute(_IndexedRoute):
    """What Route and WebSocketRoute share: a compiled path, matching against it, and building URLs from it."""

    _scope_type: str  # the scope type this route answers, also the protocol of the URLs it builds
    path: str
    endpoint: Callable[..., Any]
    name: str
    path_format: str
    param_convertors: dict[str, Convertor[Any]]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == self._scope_type:
            path_params = self._match_path(scope)
            if path_params is not None:
                return self._matched(path_params, scope)
        return _NONE, {}

    def _match_path(self, scope: Scope) -> dict[str, Any] | None:
        """The path parameters (those of enclosing mounts included) when the scope's path matches, else None."""
        found = self.path_regex.match(get_route_path(scope))
        if found is None:
            return None
        return _convert_params(found.groupdict(), self.param_convertors, scope)

    def _matched(self, path_params: dict[str, Any], scope: Scope) -> tuple[Match, Scope]:
        """The match and child scope for a scope of this route's type whose path matches."""
        return _FULL, {"endpoint": self.endpoint, "path_params": path_params}

    def _match_own_path(self, scope: Scope) -> tuple[Match, Scope]:
        """What ``matches(scope)`` returns when the route index has established that the scope is of this route's
        type and its route path is this route's path, which has no parameters: the rest of the matching."""
        return self._matched(_inherited_params(scope), scope)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != set(self.param_convertors):
            raise NoMatchFound(name, path_params)
        path, remaining = replace_params(self.path_format, self.param_convertors, path_params)
        assert not remaining
        return URLPath(path=path, protocol=self._scope_type)


class Route(_BodyLimited, _EndpointRoute):
    _scope_type = "http"

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        self.include_in_schema = include_in_schema
        # An instance attribute: read on every request, and cheaper to read than the class's.
        self._max_body_size = check_limit(max_body_size)

        handler = _unwrap_partial(endpoint)
        if isinstance(handler, (types.FunctionType, types.MethodType)):  # inspect.isfunction / ismethod
            # A function or method endpoint: called with the request, returns a response.
            self.app = request_response(endpoint)
            if methods is None:
                methods = ["GET"]
        else:
            # An ASGI app (such as an HTTPEndpoint class).
            self.app = endpoint
        self.app = _wrap_middleware(self.app, middleware)

        if methods is None:
            self.methods: set[str] | None = None
        else:
            self.methods = {method.upper() for method in methods}
            if "GET" in self.methods:
                self.methods.add("HEAD")

        self.path_regex, self.path_format, self.param_convertors = compile_path(path)

    def _matched(self, path_params: dict[str, Any], scope: Scope) -> tuple[Match, Scope]:
        child_scope = {"endpoint": self.endpoint, "path_params": path_params}
        return (_FULL if _method_allowed(self.methods, scope) else _PARTIAL), child_scope

    def _match_own_path(self, scope: Scope) -> tuple[Match, Scope]:
        # self._matched(_inherited_params(scope), scope) in one frame: every request to a static path runs it.
        inherited = scope.get("path_params")
        methods = self.methods
        return (
            _FULL if not methods or scope["method"] in methods else _PARTIAL,
            {"endpoint": self.endpoint, "path_params": dict(inherited) if inherited else {}},
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = self.methods
        if methods and scope["method"] not in methods:  # (_method_allowed, inlined: one frame less per request)
            await _method_not_allowed(methods, scope)(scope, receive, send)
        elif self._max_body_size is None and RESPONDER_SCOPE_KEY not in scope:  # no body limit in force
            await self.app(scope, receive, send)
        else:
            await limit_endpoint(self._max_body_size, self.app, scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, Route)
            and self.path == other.path
            and self.endpoint == other.endpoint
            and self.methods == other.methods
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        methods = sorted(self.methods or [])
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name!r}, methods={methods!r})"


class WebSocketRoute(_EndpointRoute):
    _scope_type = "websocket"

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] | None = None,
    ) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name

        handler = _unwrap_partial(endpoint)
        if isinstance(handler, (types.FunctionType, types.MethodType)):  # inspect.isfunction / ismethod
            # A function or method endpoint: called with the websocket.
            self.app = websocket_session(endpoint)
        else:
            # An ASGI app (such as a WebSocketEndpoint class).
            self.app = endpoint
        self.app = _wrap_middleware(self.app, middleware)

        self.path_regex, self.path_format, self.param_convertors = compile_path(path)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, WebSocketRoute) and self.path == other.path and self.endpoint == other.endpoint

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name!r})"


class Mount(_BodyLimited, _IndexedRoute):
    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        assert path == "" or path.startswith("/"), "Routed paths must start with '/'"
        self._max_body_size = check_limit(max_body_size)
        assert app is not None or routes is not None, "Either 'app=...', or 'routes=' must be specified"
        self.path = path.rstrip("/")
        if app is not None:
            self._base_app: ASGIApp = app
        else:
            self._base_app = Router(routes=routes)
        self.app = _wrap_middleware(self._base_app, middleware)
        self.name = name
        self.path_regex, self.path_format, self.param_convertors = compile_path(self.path + "/{path:path}")

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self._base_app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket"):
            route_path = get_route_path(scope)
            found = self.path_regex.match(route_path)
            if found is not None:
                params = found.groupdict()
                remaining_path = "/" + params.pop("path")
                path_params = _convert_params(params, self.param_convertors, scope)
                if path_params is not None:
                    return _FULL, self._child_scope(scope, route_path[: -len(remaining_path)], path_params)
        return _NONE, {}

    def _child_scope(self, scope: Scope, matched_path: str, path_params: dict[str, Any]) -> Scope:
        root_path = scope.get("root_path", "")
        return {
            "path_params": path_params,
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + matched_path,
            "endpoint": self.app,
        }

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            # The mount itself: "path" is the path inside it.
            path_params["path"] = path_params["path"].lstrip("/")
            path, remaining = replace_params(self.path_format, self.param_convertors, path_params)
            if not remaining:
                return URLPath(path=path)
        elif self.name is None or name.startswith(self.name + ":"):
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            path_kwarg = path_params.get("path")
            path_params["path"] = ""
            prefix, remaining = replace_params(self.path_format, self.param_convertors, path_params)
            if path_kwarg is not None:
                remaining["path"] = path_kwarg
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                return URLPath(path=prefix.rstrip("/") + str(url), protocol=url.protocol)
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._max_body_size is not None and scope["type"] == "http":
            await limit(self._max_body_size, self.app, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Mount) and self.path == other.path and self.app == other.app

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = self.name or ""
        return f"{self.__class__.__name__}(path={self.path!r}, name={name!r}, app={self.app!r})"


class Host(BaseRoute):
    def __init__(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        assert not host.startswith("/"), "Host must not start with '/'"
        self.host = host
        self.app = app
        self.name = name
        self.host_regex, self.host_format, self.param_convertors = compile_path(host)

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self.app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket"):
            # Lowercased: the parameters do not depend on the case the client wrote the host in (upstream 1.9).
            host = Headers(scope=scope).get("host", "").split(":")[0].lower()
            found = self.host_regex.match(host)
            if found is not None:
                path_params = _convert_params(found.groupdict(), self.param_convertors, scope)
                if path_params is not None:
                    return _FULL, {"path_params": path_params, "endpoint": self.app}
        return _NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            # The host itself: "path" is the path on that host.
            path = path_params.pop("path")
            host, remaining = replace_params(self.host_format, self.param_convertors, path_params)
            if not remaining:
                return URLPath(path=path, host=host)
        elif self.name is None or name.startswith(self.name + ":"):
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            host, remaining = replace_params(self.host_format, self.param_convertors, path_params)
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                return URLPath(path=str(url), protocol=url.protocol, host=host)
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Host) and self.host == other.host and self.app == other.app

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = self.name or ""
        return f"{self.__class__.__name__}(host={self.host!r}, name={name!r}, app={self.app!r})"


# ----------------------------------------------------------------------------------------------------------------
# The route index

# The library's own matching, which the index knows how to read: a route whose class keeps it matches exactly the
# paths its compiled ``path_regex`` matches (Route: http scopes only; WebSocketRoute: websocket scopes only).
_LIBRARY_MATCHES: dict[type[BaseRoute], Callable[..., Any]] = {  # (subclasses first)
    Route: Route.matches,
    WebSocketRoute: WebSocketRoute.matches,
    Mount: Mount.matches,
}


def _first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:end] if end > 0 else path[1:]


def _literal_segment(path: str) -> str | None:
    """The first segment every path matched by pattern ``path`` has, or None when it is not fixed."""
    found = PARAM_REGEX.search(path)
    literal = path if found is None else path[: found.start()]
    end = literal.find("/", 1)
    return literal[1:end] if end > 0 else None


def _compiles_to(path: object, regex: object) -> bool:
    """Whether ``regex`` is exactly what ``compile_path(path)`` produces (so ``path`` describes what it matches)."""
    if not isinstance(path, str) or not isinstance(regex, re.Pattern):
        return False
    try:
        compiled = compile_path(path)[0]
        return bool(compiled.pattern == regex.pattern and compiled.flags == regex.flags)
    except (AssertionError, ValueError):
        return False


def _library_class(route: BaseRoute) -> type[BaseRoute] | None:
    """The library class whose matching ``route`` has (its class does not replace ``matches``), if any."""
    for library_class, matches in _LIBRARY_MATCHES.items():
        if isinstance(route, library_class):
            # (Its class's matches, and no other one set on the route itself.)
            own = type(route).matches is matches and getattr(route.matches, "__func__", None) is matches
            return library_class if own else None
    return None


def _filing(route: BaseRoute, scope_type: str) -> tuple[str, str | None]:
    """Where the index files ``route`` for ``scope_type`` scopes: ("never", None) when it cannot match them,
    ("static", path) when it matches that one path, ("segment", name) when every path it matches starts with that
    segment, ("anywhere", None) otherwise (including every route whose matching the index cannot read).
    """
    library_class = _library_class(route)
    if library_class is None:
        return "anywhere", None
    if library_class is Mount:
        assert isinstance(route, Mount)
        pattern: object = route.path + "/{path:path}" if isinstance(route.path, str) else None
    else:
        assert isinstance(route, _EndpointRoute)
        if route._scope_type != scope_type:
            return "never", None
        pattern = route.path
    if not _compiles_to(pattern, route.path_regex):  # (edited to disagree with its path: read neither)
        return "anywhere", None
    assert isinstance(pattern, str)
    if PARAM_REGEX.search(pattern) is None:
        return "static", pattern
    segment = _literal_segment(pattern)
    return ("anywhere", None) if segment is None else ("segment", segment)


# A candidate route, with how the index has proven its match when it has (else None: ask ``route.matches``).
_ProvenMatch = Callable[[Scope], Tuple[Match, Scope]]
_Candidate = Tuple[BaseRoute, Optional[_ProvenMatch]]
_Positioned = List[Tuple[int, _Candidate]]


def _in_order(*groups: _Positioned) -> tuple[_Candidate, ...]:
    """The candidates of ``groups`` (lists of (position in the route list, candidate)), in route list order."""
    entries = sorted((entry for group in groups for entry in group), key=lambda entry: entry[0])
    return tuple(candidate for _, candidate in entries)


class _RouteIndex:
    """The routes of a list that may match a path of one scope type, in list order.

    A route is left out of a path's candidates only when its matching is the library's own and its compiled path
    cannot match that path: a static path matches only itself, a path pattern with a literal first segment only
    paths with that first segment. Everything else (subclasses that override ``matches``, custom routes, Host...)
    is a candidate for every path. For a Route or WebSocketRoute with a static path, the index has already proven
    the path part of the match on that path: it asks the route only for the rest (``_match_own_path``).

    The index is current while the list is unchanged (the list drops it), no route's ``path_regex`` or
    ``matches`` attribute has been replaced (``edits``), and the classes it read still have the library's
    ``matches`` (``read_classes``): ``_RouteList.candidates`` checks both on every request.
    """

    __slots__ = ("all", "anywhere", "edits", "read_classes", "segments", "static")

    def __init__(self, routes: Sequence[BaseRoute], scope_type: str) -> None:
        self.edits = _route_edits
        read_classes: dict[type[BaseRoute], Callable[..., Any]] = {}
        groups: dict[str, dict[str, _Positioned]] = {"static": {}, "segment": {}}
        anywhere: _Positioned = []
        everything: _Positioned = []
        for position, route in enumerate(routes):
            kind, key = _filing(route, scope_type)
            if kind != "anywhere":
                read_classes[type(route)] = type(route).matches
            if kind == "never":
                continue
            everything.append((position, (route, None)))
            if key is None:
                anywhere.append((position, (route, None)))
            elif kind == "static":
                assert isinstance(route, _EndpointRoute)
                groups[kind].setdefault(key, []).append((position, (route, route._match_own_path)))
            else:
                groups[kind].setdefault(key, []).append((position, (route, None)))
        self.read_classes = tuple(read_classes.items())
        self.all = _in_order(everything)
        self.anywhere = _in_order(anywhere)
        self.segments = {segment: _in_order(group, anywhere) for segment, group in groups["segment"].items()}
        self.static = {
            path: _in_order(group, groups["segment"].get(_first_segment(path), []), anywhere)
            for path, group in groups["static"].items()
        }


def _changes(method: Callable[..., _T]) -> Callable[..., _T]:
    @functools.wraps(method)
    def wrapper(self: _RouteList, *args: Any, **kwargs: Any) -> _T:
        self._indexes.clear()
        return method(self, *args, **kwargs)

    return wrapper


class _RouteList(List[BaseRoute]):
    """A router's list of routes: an ordinary list that drops its route indexes whenever it is changed."""

    __slots__ = ("_indexes",)

    def __init__(self, routes: Iterable[BaseRoute] = ()) -> None:
        super().__init__(routes)
        self._indexes: dict[str, _RouteIndex] = {}

    def candidates(self, scope_type: str, route_path: str) -> Sequence[_Candidate]:
        """The routes that may match ``route_path`` for ``scope_type`` scopes, in order (see _RouteIndex)."""
        index = self._indexes.get(scope_type)
        # (index.is_current(), inlined: one frame less per request)
        stale = index is None or index.edits != _route_edits
        if index is not None and not stale:
            for cls, matches in index.read_classes:
                if cls.matches is not matches:
                    stale = True
                    break
        if index is None or stale:
            index = self._indexes[scope_type] = _RouteIndex(self, scope_type)
        if route_path.endswith("\n"):
            # A regex's "$" also matches before a final newline: the path may match patterns without it.
            return index.all
        found = index.static.get(route_path)
        if found is None:
            found = index.segments.get(_first_segment(route_path), index.anywhere)
        return found

    append = _changes(list.append)
    extend = _changes(list.extend)
    insert = _changes(list.insert)
    remove = _changes(list.remove)
    pop = _changes(list.pop)
    clear = _changes(list.clear)
    sort = _changes(list.sort)
    reverse = _changes(list.reverse)
    __setitem__ = _changes(list.__setitem__)
    __delitem__ = _changes(list.__delitem__)
    __iadd__ = _changes(list.__iadd__)
    __imul__ = _changes(list.__imul__)


# ----------------------------------------------------------------------------------------------------------------
# Lifespan


class _AsyncLiftContextManager(contextlib.AbstractAsyncContextManager):  # type: ignore[type-arg]
    """Runs a synchronous context manager as an async one (for deprecated generator lifespans)."""

    def __init__(self, cm: contextlib.AbstractContextManager[_T]) -> None:
        self._cm = cm

    async def __aenter__(self) -> Any:
        return self._cm.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> bool | None:
        return self._cm.__exit__(exc_type, exc_value, traceback)


def _wrap_gen_lifespan_context(
    lifespan_context: Callable[[Any], Generator[Any, Any, Any]],
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]:
    cmgr = contextlib.contextmanager(lifespan_context)

    @functools.wraps(cmgr)
    def wrapper(app: Any) -> _AsyncLiftContextManager:
        return _AsyncLiftContextManager(cmgr(app))

    return wrapper


class _DefaultLifespan:
    """The lifespan used without ``lifespan=``: runs the (deprecated) startup and shutdown handlers."""

    def __init__(self, router: Router) -> None:
        self._router = router

    async def __aenter__(self) -> None:
        await self._router.startup()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._router.shutdown()

    def __call__(self: _T, app: object) -> _T:
        return self


def _safe_redirect_path(path: str) -> bool:
    """A redirect to ``path`` must stay on this site: "//evil.com" or "/\\evil.com" would not."""
    return path[:1] == "/" and path[1:2] not in ("/", "\\")


class Router(_BodyLimited):
    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        # the generic to Lifespan[AppType] is the type of the top level application
        # which the router cannot know statically, so we use Any
        lifespan: Lifespan[Any] | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        # A list that keeps route indexes for the router (see _RouteList); any list assigned later works too.
        self.routes: list[BaseRoute] = _RouteList([] if routes is None else routes)
        # An instance attribute: read on every request, and cheaper to read than the class's.
        self._max_body_size = check_limit(max_body_size)
        self.redirect_slashes = redirect_slashes
        self.default: ASGIApp = self.not_found if default is None else default
        self.on_startup = [] if on_startup is None else list(on_startup)
        self.on_shutdown = [] if on_shutdown is None else list(on_shutdown)

        if on_startup or on_shutdown:
            warn_as_module(
                _UPSTREAM_MODULE,
                "The on_startup and on_shutdown parameters are deprecated, and they "
                "will be removed on version 1.0. Use the lifespan parameter instead. "
                "See more about it on https://www.starlette.io/lifespan/.",
                DeprecationWarning,
            )
            if lifespan:
                warn_as_module(
                    _UPSTREAM_MODULE,
                    "The `lifespan` parameter cannot be used with `on_startup` or "
                    "`on_shutdown`. Both `on_startup` and `on_shutdown` will be "
                    "ignored.",
                )

        _lazy.load("inspect")
        if lifespan is None:
            self.lifespan_context: Lifespan[Any] = _DefaultLifespan(self)
        elif inspect.isasyncgenfunction(lifespan):
            warn_as_module(
                _UPSTREAM_MODULE,
                "async generator function lifespans are deprecated, "
                "use an @contextlib.asynccontextmanager function instead",
                StarletteDeprecationWarning,  # as upstream 1.x (a DeprecationWarning too, as 0.47.3's was)
            )
            self.lifespan_context = contextlib.asynccontextmanager(lifespan)
        elif inspect.isgeneratorfunction(lifespan):
            warn_as_module(
                _UPSTREAM_MODULE,
                "generator function lifespans are deprecated, use an @contextlib.asynccontextmanager function instead",
                StarletteDeprecationWarning,  # as upstream 1.x
            )
            self.lifespan_context = _wrap_gen_lifespan_context(lifespan)
        else:
            self.lifespan_context = lifespan

        self.middleware_stack = _wrap_middleware(self.app, middleware)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        # Inside a Starlette application the exception handlers produce the response.
        if "app" in scope:
            raise HTTPException(status_code=404)
        await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def startup(self) -> None:
        """Run the startup handlers."""
        for handler in self.on_startup:
            if is_async_callable(handler):
                await handler()
            else:
                handler()

    async def shutdown(self) -> None:
        """Run the shutdown handlers."""
        for handler in self.on_shutdown:
            if is_async_callable(handler):
                await handler()
            else:
                handler()

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the ASGI lifespan protocol: enter the lifespan context on startup, leave it on shutdown."""
        started = False
        app: Any = scope.get("app")
        state = scope.get("state")
        await receive()
        try:
            async with self.lifespan_context(app) as maybe_state:
                if maybe_state is not None:
                    if state is None:
                        raise RuntimeError('The server does not support "state" in the lifespan scope.')
                    state.update(maybe_state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
        except BaseException:
            exc_text = traceback.format_exc()
            if started:
                await send({"type": "lifespan.shutdown.failed", "message": exc_text})
            else:
                await send({"type": "lifespan.startup.failed", "message": exc_text})
            raise
        else:
            await send({"type": "lifespan.shutdown.complete"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The main entry point to the Router class."""
        if self._max_body_size is not None and scope["type"] == "http":
            await limit(self._max_body_size, self.middleware_stack, scope, receive, send)
        else:
            await self.middleware_stack(scope, receive, send)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        assert scope_type in ("http", "websocket", "lifespan")
        if "router" not in scope:
            scope["router"] = self

        if scope_type == "lifespan":
            await self.lifespan(scope, receive, send)
            return

        # The first route that matches fully, else the first that matches partially (a route that takes another
        # method), with the scope updated as its ``matches()`` says. (In this frame rather than in two helpers:
        # their frames cost about 1k instructions per request.)
        routes = self.routes
        if type(routes) is _RouteList:
            candidates = routes.candidates(scope_type, get_route_path(scope))
        else:
            candidates = [(route, None) for route in routes]
        partial: BaseRoute | None = None
        partial_scope: Scope = {}
        for route, proven_match in candidates:
            match, child_scope = route.matches(scope) if proven_match is None else proven_match(scope)
            if match is _FULL:
                scope.update(child_scope)
                scope["route"] = route  # the route picked (for OpenTelemetryMiddleware's http.route, among others)
                await route.handle(scope, receive, send)
                return
            if match is _PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is None:
            await self._no_route(scope, receive, send)
        else:
            scope.update(partial_scope)
            scope["route"] = partial
            await partial.handle(scope, receive, send)

    def _candidates(self, scope: Scope, route_path: str) -> Sequence[_Candidate]:
        """The routes that may match ``route_path``, in order: all of them, narrowed by the index when the
        routes are still a list the router made (see _RouteIndex)."""
        routes = self.routes
        if type(routes) is _RouteList:
            return routes.candidates(scope["type"], route_path)
        return [(route, None) for route in routes]

    async def _no_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No route matched: redirect to the path with/without its trailing slash if that matches, else default."""
        if scope["type"] == "http" and self.redirect_slashes:
            redirect_scope = self._slash_redirect(scope)
            if redirect_scope is not None:
                await RedirectResponse(url=str(URL(scope=redirect_scope)))(scope, receive, send)
                return
        await self.default(scope, receive, send)

    def _slash_redirect(self, scope: Scope) -> Scope | None:
        """The scope with a trailing slash added or removed, when some route matches it (and it stays on this
        site); else None."""
        route_path = get_route_path(scope)
        if route_path == "/":
            return None
        redirect_scope = dict(scope)
        if route_path.endswith("/"):
            redirect_scope["path"] = redirect_scope["path"].rstrip("/")
        else:
            redirect_scope["path"] = redirect_scope["path"] + "/"
        if not _safe_redirect_path(redirect_scope["path"]):
            return None
        for route, proven_match in self._candidates(redirect_scope, get_route_path(redirect_scope)):
            match, _ = route.matches(redirect_scope) if proven_match is None else proven_match(redirect_scope)
            if match is not _NONE:
                return redirect_scope
        return None

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Router) and self.routes == other.routes

    __hash__ = None  # type: ignore[assignment]

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.routes.append(Mount(path, app=app, name=name))

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.routes.append(Host(host, app=app, name=name))

    def add_route(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response] | Response],
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        route = Route(path, endpoint=endpoint, methods=methods, name=name, include_in_schema=include_in_schema)
        self.routes.append(route)

    def add_websocket_route(
        self,
        path: str,
        endpoint: Callable[[WebSocket], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        self.routes.append(WebSocketRoute(path, endpoint=endpoint, name=name))

    def route(
        self,
        path: str,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_route``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `route` decorator is deprecated, and will be removed in version 1.0.0."
            "Refer to https://www.starlette.io/routing/#http-routing for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_websocket_route``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. Refer to "
            "https://www.starlette.io/routing/#websocket-routing for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        assert event_type in ("startup", "shutdown")
        if event_type == "startup":
            self.on_startup.append(func)
        else:
            self.on_shutdown.append(func)

    def on_event(self, event_type: str) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_event_handler``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/lifespan/ for recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_event_handler(event_type, func)
            return func

        return decorator
