"""Routes, mounts, hosts and the router (``starlette.routing``).

Matching is compiled: each Router keeps, per scope type, an index built from its routes the first time a
request needs it (and rebuilt after the routes list changes). Static paths are a dict lookup that yields the
precomputed list of the routes that could match that path, in their original order; other paths narrow the
candidates by their first segment. The first route that matches fully wins, exactly as in a linear scan.
"""

from __future__ import annotations

import contextlib
import functools
import re
import traceback
import types
import warnings
from collections.abc import Awaitable, Collection, Generator, Iterable, Sequence
from enum import Enum
from typing import Any, Callable, List, Optional, Tuple, TypeVar

from starlette_core._exception_handler import _NO_HANDLERS, _answer, _tracking
from starlette_core._utils import get_route_path, is_async_callable
from starlette_core.concurrency import run_in_threadpool
from starlette_core.datastructures import URL, Headers, URLPath
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response
from starlette_core.types import ASGIApp, Lifespan, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketClose
from starlette_middleware import Middleware
from starlette_routing._routing_body import SCOPE_KEY as _BODY_LIMIT_KEY
from starlette_routing._routing_body import check_limit, run_limited
from starlette_routing.convertors import CONVERTOR_TYPES, Convertor

_T = TypeVar("_T")

# Response.__call__ as defined: responses whose class keeps it are sent inline by request/response endpoints.
_RESPONSE_CALL = Response.__call__


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
_NO_CHILD_SCOPE: Scope = {}  # only ever read (scope.update), never changed


async def _partial_match(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
    """Never called: a marker that route resolvers return for "the path matches, the method does not"."""


_PARTIAL_MATCH: ASGIApp = _partial_match


def iscoroutinefunction_or_partial(obj: Any) -> bool:
    """Deprecated: whether ``obj`` (or the function a partial wraps) is an ``async def`` function."""
    warnings.warn(
        "iscoroutinefunction_or_partial is deprecated, and will be removed in a future release.",
        DeprecationWarning,
        stacklevel=2,
    )
    import inspect

    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj)


class _RequestResponseApp:
    """The ASGI app of a request/response endpoint.

    It does what ``wrap_app_handling_exceptions(app, request)`` around "call the endpoint, send its response"
    does, inlined: no wrapper objects per request, and the response-started tracker of an enclosing layer is
    shared when the send comes straight from it.
    """

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Request], Awaitable[Response]]) -> None:
        self.func = func

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        tracking_send = _tracking(send)
        try:
            response = await self.func(request)
            if type(response).__call__ is _RESPONSE_CALL:
                # What Response.__call__ does for HTTP, without a coroutine of its own (and with what the
                # tracker's __call__ does done here: the response has started once its first message is built).
                start = {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
                tracking_send.response_started = True
                inner_send = tracking_send.send
                await inner_send(start)
                await inner_send({"type": "http.response.body", "body": response.body})
                if response.background is not None:
                    await response.background()
            else:
                await response(scope, receive, tracking_send)
        except Exception as exc:
            handlers = scope.get("starlette.exception_handlers", _NO_HANDLERS)
            if not await _answer(exc, handlers, tracking_send.response_started, request, scope, receive, send):
                raise


def request_response(func: Callable[[Request], Awaitable[Response] | Response]) -> ASGIApp:
    """Turn ``func(request) -> response`` (async, or sync to run in the thread pool) into an ASGI app."""
    if is_async_callable(func):
        return _RequestResponseApp(func)
    return _RequestResponseApp(functools.partial(run_in_threadpool, func))  # type: ignore[arg-type,call-arg]


class _WebSocketSessionApp:
    """The ASGI app of a websocket session function, with the app's exception handlers applied (inlined)."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[WebSocket], Awaitable[None]]) -> None:
        self.func = func

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        handlers = scope.get("starlette.exception_handlers", _NO_HANDLERS)
        try:
            await self.func(websocket)
        except Exception as exc:
            # The session talks through the WebSocket (with the send it was built with), never through a
            # wrapped send: as far as the handlers are concerned, no HTTP response has started.
            if not await _answer(exc, handlers, False, websocket, scope, receive, send):
                raise


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """Turn ``async func(websocket)`` into an ASGI app."""
    return _WebSocketSessionApp(func)


def get_name(endpoint: Callable[..., Any]) -> str:
    return getattr(endpoint, "__name__", endpoint.__class__.__name__)


def replace_params(
    path: str,
    param_convertors: dict[str, Convertor[Any]],
    path_params: dict[str, str],
) -> tuple[str, dict[str, str]]:
    """Fill ``{name}`` placeholders of ``path``; used parameters are removed from ``path_params``."""
    for key, value in list(path_params.items()):
        placeholder = "{" + key + "}"
        if placeholder in path:
            path = path.replace(placeholder, param_convertors[key].to_string(value))
            path_params.pop(key)
    return path, path_params


# Match a parameter placeholder such as "{param}" or "{param:int}".
PARAM_REGEX = re.compile("{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-zA-Z_][a-zA-Z0-9_]*)?}")


def compile_path(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """Compile a path or host pattern with ``{name[:type]}`` parameters.

    Returns the anchored regex, the format string (``"/users/{id}"``) and the convertor of each parameter.
    A host pattern (not starting with "/") ignores any ":port".
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
    return re.compile("".join(regex_parts)), "".join(format_parts), convertors


def _convert_params(
    params: dict[str, str], convertors: dict[str, Convertor[Any]], scope: Scope
) -> dict[str, Any] | None:
    """The scope's path params updated with the converted ``params``; None when a convertor refuses a value."""
    inherited = scope.get("path_params")
    path_params: dict[str, Any] = dict(inherited) if inherited else {}
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

    def _target(self, scope: Scope) -> ASGIApp:
        """The ASGI app that ``handle(scope, ...)`` comes down to (the router awaits it in place of ``handle``)."""
        return self.handle

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
    """``max_body_size`` (beyond upstream): a limit on request bodies for what this object routes to.

    Set it after construction (``route.max_body_size = 1_000_000``) or inline with ``with_max_body_size``;
    None (the default) keeps whatever limit applies further out. The innermost setting wins.
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


def _method_not_allowed(methods: Collection[str], scope: Scope) -> Response:
    headers = {"Allow": ", ".join(sorted(methods))}
    if "app" in scope:
        raise HTTPException(status_code=405, headers=headers)
    return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)


class _EndpointRoute(BaseRoute):
    """What Route and WebSocketRoute share: a compiled path, matching against it, and building URLs from it."""

    _scope_type: str  # the scope type this route answers, also the protocol of the URLs it builds
    path: str
    endpoint: Callable[..., Any]
    name: str
    path_regex: re.Pattern[str]
    path_format: str
    param_convertors: dict[str, Convertor[Any]]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == self._scope_type:
            return self._match_dynamic(get_route_path(scope), scope)
        return _NONE, {}

    def _match_dynamic(self, route_path: str, scope: Scope) -> tuple[Match, Scope]:
        found = self.path_regex.match(route_path)
        if found is None:
            return _NONE, {}
        path_params = _convert_params(found.groupdict(), self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        return self._result(path_params, scope)

    def _match_static(self, route_path: str, scope: Scope) -> tuple[Match, Scope]:
        # Only called when the router's index found route_path == self.path.
        inherited = scope.get("path_params")
        return self._result(dict(inherited) if inherited else {}, scope)

    def _result(self, path_params: dict[str, Any], scope: Scope) -> tuple[Match, Scope]:
        return _FULL, {"endpoint": self.endpoint, "path_params": path_params}

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
    ) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        self.include_in_schema = include_in_schema
        self._max_body_size = None  # an instance attribute: read on every request, and cheaper to read than the class's

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

    def _result(self, path_params: dict[str, Any], scope: Scope) -> tuple[Match, Scope]:
        child_scope = {"endpoint": self.endpoint, "path_params": path_params}
        methods = self.methods
        if methods and scope["method"] not in methods:
            return _PARTIAL, child_scope
        return _FULL, child_scope

    # The router's fast path (see _Index): match and, on a full match, update the scope and return the app that
    # answers; None when the route does not match, _PARTIAL_MATCH when only the method is wrong.

    def _resolve_dynamic(self, route_path: str, scope: Scope) -> ASGIApp | None:
        found = self.path_regex.match(route_path)
        if found is None:
            return None
        path_params = _convert_params(found.groupdict(), self.param_convertors, scope)
        if path_params is None:
            return None
        methods = self.methods
        if methods and scope["method"] not in methods:
            return _PARTIAL_MATCH
        scope["endpoint"] = self.endpoint
        scope["path_params"] = path_params
        if self._max_body_size is not None or _BODY_LIMIT_KEY in scope:
            return self.handle
        return self.app

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = self.methods
        if methods and scope["method"] not in methods:
            response = _method_not_allowed(methods, scope)
            await response(scope, receive, send)
        elif self._max_body_size is not None or _BODY_LIMIT_KEY in scope:
            await run_limited(self._max_body_size, self.app, scope, receive, send, leaf=True)
        else:
            await self.app(scope, receive, send)

    def _target(self, scope: Scope) -> ASGIApp:
        methods = self.methods
        if methods and scope["method"] not in methods:
            return self.handle
        return self._allowed_target(scope)

    def _allowed_target(self, scope: Scope) -> ASGIApp:
        # The common case of handle() once the method is allowed: without a body limit it comes down to self.app.
        if self._max_body_size is not None or _BODY_LIMIT_KEY in scope or type(self).handle is not _ROUTE_HANDLE:
            return self.handle
        return self.app

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


_ROUTE_HANDLE = Route.handle


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

    def _target(self, scope: Scope) -> ASGIApp:
        return self.app if type(self).handle is _WEBSOCKET_ROUTE_HANDLE else self.handle

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, WebSocketRoute) and self.path == other.path and self.endpoint == other.endpoint

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(path={self.path!r}, name={self.name!r})"


_WEBSOCKET_ROUTE_HANDLE = WebSocketRoute.handle


class Mount(_BodyLimited, BaseRoute):
    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
    ) -> None:
        assert path == "" or path.startswith("/"), "Routed paths must start with '/'"
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
            return self._match_dynamic(get_route_path(scope), scope)
        return _NONE, {}

    def _match_dynamic(self, route_path: str, scope: Scope) -> tuple[Match, Scope]:
        found = self.path_regex.match(route_path)
        if found is None:
            return _NONE, {}
        params = found.groupdict()
        remaining_path = "/" + params.pop("path")
        path_params = _convert_params(params, self.param_convertors, scope)
        if path_params is None:
            return _NONE, {}
        root_path = scope.get("root_path", "")
        matched_path = route_path[: -len(remaining_path)]
        child_scope = {
            "path_params": path_params,
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + matched_path,
            "endpoint": self.app,
        }
        return _FULL, child_scope

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
            await run_limited(self._max_body_size, self.app, scope, receive, send, leaf=False)
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
            host = Headers(scope=scope).get("host", "").split(":")[0]
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

_Matcher = Callable[[str, Scope], Tuple[Match, Scope]]
_Resolver = Callable[[str, Scope], Optional[ASGIApp]]
# A route, its matcher (None: call route.matches(scope)), and its resolver (None: match, then route._target).
_Candidate = Tuple[BaseRoute, Optional[_Matcher], Optional[_Resolver]]


def _first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:end] if end > 0 else path[1:]


def _literal_segment(path: str) -> str | None:
    """The first segment every path matched by pattern ``path`` has, or None when it is not fixed."""
    found = PARAM_REGEX.search(path)
    literal = path if found is None else path[: found.start()]
    end = literal.find("/", 1)
    return literal[1:end] if end > 0 else None


def _compiles_to(path: str, regex: Any) -> bool:
    """Whether ``regex`` is exactly what ``compile_path(path)`` produces (so ``path`` describes what it matches)."""
    try:
        return isinstance(regex, re.Pattern) and compile_path(path)[0].pattern == regex.pattern
    except (AssertionError, ValueError):
        return False


def _classify(route: BaseRoute, scope_type: str) -> tuple[str, str | None, _Matcher | None] | None:
    """How the index files ``route`` for ``scope_type`` requests: ("static", path, matcher),
    ("segment", first segment, matcher) or ("any", None, matcher); None when it can never match that type.

    A matcher of None means ``route.matches(scope)`` is called (subclasses that override ``matches``, and
    routes the index knows nothing about).
    """
    if isinstance(route, (Route, WebSocketRoute)):
        own_type = "http" if isinstance(route, Route) else "websocket"
        own_matches = _own_matches(route)
        if own_matches and scope_type != own_type:
            return None
        path = route.path
        if not isinstance(path, str) or not _compiles_to(path, route.path_regex):
            return ("any", None, None)
        if PARAM_REGEX.search(path) is None:
            return ("static", path, route._match_static if own_matches else None)
        matcher = route._match_dynamic if own_matches else None
        segment = _literal_segment(path)
        return ("any", None, matcher) if segment is None else ("segment", segment, matcher)
    if isinstance(route, Mount):
        matcher = route._match_dynamic if type(route).matches is Mount.matches else None
        path = route.path + "/{path:path}" if isinstance(route.path, str) else None
        if path is None or not _compiles_to(path, route.path_regex):
            return ("any", None, None)
        segment = _literal_segment(path)
        return ("any", None, matcher) if segment is None else ("segment", segment, matcher)
    return ("any", None, None)


def _plain_route(route: Route, matcher: _Matcher | None) -> bool:
    """A Route with its own matching and ``handle``: the router may resolve it without calling either."""
    return matcher is not None and type(route).handle is Route.handle


def _own_matches(route: Route | WebSocketRoute) -> bool:
    base = Route if isinstance(route, Route) else WebSocketRoute
    return type(route).matches is base.matches


class _Index:
    """Candidate routes for a path, in route order: by exact static path, else by first segment."""

    __slots__ = ("any", "first", "segments", "static")

    def __init__(self, routes: Sequence[BaseRoute], scope_type: str) -> None:
        static: dict[str, list[tuple[int, _Candidate]]] = {}
        segments: dict[str, list[tuple[int, _Candidate]]] = {}
        anywhere: list[tuple[int, _Candidate]] = []
        for position, route in enumerate(routes):
            filed = _classify(route, scope_type)
            if filed is None:
                continue
            kind, key, matcher = filed
            resolver: _Resolver | None = None
            if kind != "static" and isinstance(route, Route) and _plain_route(route, matcher):
                resolver = route._resolve_dynamic
            entry = (position, (route, matcher, resolver))
            if kind == "static":
                static.setdefault(key, []).append(entry)  # type: ignore[arg-type]
            elif kind == "segment":
                segments.setdefault(key, []).append(entry)  # type: ignore[arg-type]
            else:
                anywhere.append(entry)

        def merged(*groups: list[tuple[int, _Candidate]]) -> tuple[_Candidate, ...]:
            return tuple(candidate for _, candidate in sorted(entry for group in groups for entry in group))

        self.any = merged(anywhere)
        self.segments = {key: merged(group, anywhere) for key, group in segments.items()}
        self.static = {
            path: merged(group, segments.get(_first_segment(path), []), anywhere) for path, group in static.items()
        }
        # The first candidate for a static path, where it is a plain Route with that very path: the router
        # resolves it inline (see Router._route); other static candidates go through their matcher.
        self.first: dict[str, Route] = {}
        for path, found in self.static.items():
            head, matcher, _ = found[0]
            if isinstance(head, Route) and head.path == path and _plain_route(head, matcher):
                self.first[path] = head

    def candidates(self, route_path: str) -> tuple[_Candidate, ...]:
        found = self.static.get(route_path)
        if found is None:
            found = self.segments.get(_first_segment(route_path), self.any)
        return found


def _changes(method: Callable[..., _T]) -> Callable[..., _T]:
    @functools.wraps(method)
    def wrapper(self: _RouteList, *args: Any, **kwargs: Any) -> _T:
        self._http = self._websocket = None
        return method(self, *args, **kwargs)

    return wrapper


class _RouteList(List[BaseRoute]):
    """A list of routes that drops its compiled indexes whenever it is changed."""

    __slots__ = ("_http", "_websocket")

    def __init__(self, routes: Iterable[BaseRoute] = ()) -> None:
        super().__init__(routes)
        self._http: _Index | None = None
        self._websocket: _Index | None = None

    def compiled(self, scope_type: str) -> _Index:
        """Build the index for ``scope_type`` and keep it until the list changes (the router reads the kept
        ``_http``/``_websocket`` directly and calls this only when there is none).
        """
        index = _Index(self, scope_type)
        if scope_type == "http":
            self._http = index
        else:
            self._websocket = index
        return index

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
    # The stack that only routes (no router middleware, __call__/app as defined here), and whether awaiting the
    # router comes down to routing: that stack, and no body limit of the router's own (see _resolve_app).
    _plain_stack: Optional[ASGIApp] = None
    _direct = False

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
    ) -> None:
        self.routes = [] if routes is None else list(routes)
        self._max_body_size = None  # an instance attribute: read on every request, and cheaper to read than the class's
        self.redirect_slashes = redirect_slashes
        self.default: ASGIApp = self.not_found if default is None else default
        self.on_startup = [] if on_startup is None else list(on_startup)
        self.on_shutdown = [] if on_shutdown is None else list(on_shutdown)

        if on_startup or on_shutdown:
            warnings.warn(
                "The on_startup and on_shutdown parameters are deprecated, and they "
                "will be removed on version 1.0. Use the lifespan parameter instead. "
                "See more about it on https://starlette.dev/lifespan/.",
                DeprecationWarning,
                stacklevel=2,
            )
            if lifespan:
                warnings.warn(
                    "The `lifespan` parameter cannot be used with `on_startup` or "
                    "`on_shutdown`. Both `on_startup` and `on_shutdown` will be "
                    "ignored.",
                    stacklevel=2,
                )

        import inspect  # deferred (it pulls in ast, dis, tokenize...): routers are built once

        if lifespan is None:
            self.lifespan_context: Lifespan[Any] = _DefaultLifespan(self)
        elif inspect.isasyncgenfunction(lifespan):
            warnings.warn(
                "async generator function lifespans are deprecated, "
                "use an @contextlib.asynccontextmanager function instead",
                DeprecationWarning,
                stacklevel=2,
            )
            self.lifespan_context = contextlib.asynccontextmanager(lifespan)
        elif inspect.isgeneratorfunction(lifespan):
            warnings.warn(
                "generator function lifespans are deprecated, use an @contextlib.asynccontextmanager function instead",
                DeprecationWarning,
                stacklevel=2,
            )
            self.lifespan_context = _wrap_gen_lifespan_context(lifespan)
        else:
            self.lifespan_context = lifespan

        stack = _wrap_middleware(self.app, middleware)
        plain = middleware is None and type(self).__call__ is Router.__call__ and type(self).app is Router.app
        self._plain_stack = stack if plain else None
        self.middleware_stack = stack

    @property
    def middleware_stack(self) -> ASGIApp:
        return self._middleware_stack

    @middleware_stack.setter
    def middleware_stack(self, app: ASGIApp) -> None:
        self._middleware_stack = app
        self._direct = app is self._plain_stack and self._max_body_size is None

    @property
    def max_body_size(self) -> int | None:
        return self._max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int | None) -> None:
        self._max_body_size = check_limit(value)
        self._direct = self._middleware_stack is self._plain_stack and value is None

    @property
    def routes(self) -> list[BaseRoute]:
        return self._routes

    @routes.setter
    def routes(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = routes if isinstance(routes, _RouteList) else _RouteList(routes)

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
            await run_limited(self._max_body_size, self._middleware_stack, scope, receive, send, leaf=False)
        else:
            await self._middleware_stack(scope, receive, send)

    def _resolve_app(self, scope: Scope) -> ASGIApp:
        """The ASGI app that awaiting the router comes down to for this HTTP or websocket scope, found without
        awaiting anything: ExceptionMiddleware awaits it in place of the router, which saves a coroutine per layer.
        Returns the router itself when it has more to do than routing (middleware, a body limit).
        """
        if not self._direct:
            return self
        return self._route(scope, scope["type"])

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        assert scope_type in ("http", "websocket", "lifespan")

        if scope_type == "lifespan":
            if "router" not in scope:
                scope["router"] = self
            await self.lifespan(scope, receive, send)
            return

        await self._route(scope, scope_type)(scope, receive, send)

    def _route(self, scope: Scope, scope_type: str) -> ASGIApp:
        """Match the routes and update the scope as the matching route says; return the app that answers."""
        if "router" not in scope:
            scope["router"] = self
        routes = self._routes
        index = routes._http if scope_type == "http" else routes._websocket
        if index is None:
            index = routes.compiled(scope_type)
        route_path = scope["path"] if not scope.get("root_path") else get_route_path(scope)
        first = index.first.get(route_path)
        if first is not None:
            # A static path whose first candidate is a plain Route: unless its method is wrong, it answers.
            # (Route._match_static and Route._target in one: this is the path most requests take.)
            methods = first.methods
            if not methods or scope["method"] in methods:
                inherited = scope.get("path_params")
                scope["endpoint"] = first.endpoint
                scope["path_params"] = dict(inherited) if inherited else {}
                if first._max_body_size is None and _BODY_LIMIT_KEY not in scope:
                    return first.app
                return first.handle
        return self._route_candidates(scope, index, route_path)

    def _route_candidates(self, scope: Scope, index: _Index, route_path: str) -> ASGIApp:
        """The rest of ``_route``: try every route that may match ``route_path``, in order."""
        candidates = index.static.get(route_path)
        if candidates is None:
            candidates = index.candidates(route_path)
        partial: _Candidate | None = None
        partial_scope: Scope = _NO_CHILD_SCOPE
        for candidate in candidates:
            route, matcher, resolver = candidate
            if resolver is not None:
                target = resolver(route_path, scope)
                if target is None:
                    continue
                if target is not _PARTIAL_MATCH:
                    return target
                match, child_scope = _PARTIAL, _NO_CHILD_SCOPE
            else:
                match, child_scope = route.matches(scope) if matcher is None else matcher(route_path, scope)
                if match is _FULL:
                    scope.update(child_scope)
                    return route._target(scope)
            if match is _PARTIAL and partial is None:
                partial = candidate
                partial_scope = child_scope

        if partial is not None:
            # The path matched but the method did not: that route answers (with a 405).
            route, matcher, resolver = partial
            if resolver is not None:
                assert matcher is not None  # a route with a resolver has its own matcher too
                _, partial_scope = matcher(route_path, scope)
            scope.update(partial_scope)
            return route.handle
        return self._no_route

    async def _no_route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No route matched: redirect to the path with/without its trailing slash if that matches, else default."""
        if scope["type"] == "http" and self.redirect_slashes:
            route_path = get_route_path(scope)
            if route_path != "/":
                redirect_scope = dict(scope)
                if route_path.endswith("/"):
                    redirect_scope["path"] = redirect_scope["path"].rstrip("/")
                else:
                    redirect_scope["path"] = redirect_scope["path"] + "/"
                if _safe_redirect_path(redirect_scope["path"]):
                    redirect_path = get_route_path(redirect_scope)
                    index = self._routes._http or self._routes.compiled("http")
                    for route, matcher, _ in index.candidates(redirect_path):
                        match, _ = (
                            route.matches(redirect_scope) if matcher is None else matcher(redirect_path, redirect_scope)
                        )
                        if match is not _NONE:
                            redirect_url = URL(scope=redirect_scope)
                            await RedirectResponse(url=str(redirect_url))(scope, receive, send)
                            return

        await self.default(scope, receive, send)

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
        warnings.warn(
            "The `route` decorator is deprecated, and will be removed in version 1.0.0."
            "Refer to https://starlette.dev/routing/#http-routing for the recommended approach.",
            DeprecationWarning,
            stacklevel=2,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_websocket_route``."""
        warnings.warn(
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. Refer to "
            "https://starlette.dev/routing/#websocket-routing for the recommended approach.",
            DeprecationWarning,
            stacklevel=2,
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
        warnings.warn(
            "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://starlette.dev/lifespan/ for recommended approach.",
            DeprecationWarning,
            stacklevel=2,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_event_handler(event_type, func)
            return func

        return decorator
