"""The application class (``starlette.applications``)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Callable, Optional, Tuple, TypeVar

from starlette_core._exception_handler import _NO_HANDLERS, _answer, _TrackingSend
from starlette_core.datastructures import State, URLPath
from starlette_core.requests import Request
from starlette_core.responses import Response
from starlette_core.types import ASGIApp, ExceptionHandler, Lifespan, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware import Middleware, _MiddlewareFactory
from starlette_middleware.errors import ServerErrorMiddleware
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing._routing_body import SCOPE_KEY as _BODY_LIMIT_KEY
from starlette_routing._routing_body import BodyLimitMiddleware, check_limit
from starlette_routing.routing import _RESPONSE_CALL, BaseRoute, Router, _RequestResponseApp

if sys.version_info >= (3, 10):  # pragma: no cover
    from typing import ParamSpec
else:  # pragma: no cover
    from typing_extensions import ParamSpec

AppType = TypeVar("AppType", bound="Starlette")


_Layers = Tuple[ServerErrorMiddleware, Optional[ExceptionMiddleware], Router, bool]
_Plan = Tuple[object, ServerErrorMiddleware, Optional[ExceptionMiddleware], Router, bool]


def _inline_plan(stack: ASGIApp) -> _Layers | None:
    """The layers of a middleware stack that ``Starlette.__call__`` runs inline: a ServerErrorMiddleware on top
    (and an ExceptionMiddleware right below it), as long as their ``__call__`` is the one defined for them; and
    the Router below the ExceptionMiddleware, if that is what it wraps (it is asked to resolve requests directly).
    The last item says whether ``Request.__init__`` is the one defined for it, so requests can be built without
    calling it (its three assignments done inline).
    """
    if type(stack) is not ServerErrorMiddleware or ServerErrorMiddleware.__call__ is not _SERVER_ERROR_CALL:
        return None
    own_request_init = Request.__init__ is _REQUEST_INIT
    below = stack.app
    if type(below) is ExceptionMiddleware and ExceptionMiddleware.__call__ is _EXCEPTION_CALL:
        router = below.app
        return stack, below, router if isinstance(router, Router) else _NO_ROUTER, own_request_init
    return stack, None, _NO_ROUTER, own_request_init


def _resume_tracking(send: Send, tracking_send: _TrackingSend | None, started: bool) -> _TrackingSend:
    """The tracker to carry on with: the one made so far, else a new one that knows whether the start went out."""
    if tracking_send is None:
        tracking_send = _TrackingSend(send)
        tracking_send.response_started = started
    return tracking_send


# Stands for "no router" in a plan: never the app an ExceptionMiddleware wraps.
_NO_ROUTER: Any = object()
# The plan for a stack that is not run inline (or not built yet): its first item is never a middleware stack.
_NOT_INLINED: Any = (object(), None, None, _NO_ROUTER, False)


# The methods as defined: a patched one (by instrumentation, say) is called rather than inlined.
_SERVER_ERROR_CALL = ServerErrorMiddleware.__call__
_EXCEPTION_CALL = ExceptionMiddleware.__call__
_REQUEST_INIT = Request.__init__
# A class call with a Python __init__ re-enters the interpreter on 3.11: ~800 instructions more than this.
_new_request = Request.__new__
P = ParamSpec("P")


class Starlette:
    """Creates an application instance.

    ``debug`` shows tracebacks on errors; ``routes`` are served by the application's Router; ``middleware`` wraps
    it (ServerErrorMiddleware outermost, ExceptionMiddleware innermost); ``exception_handlers`` map status codes
    or exception classes to handlers; ``lifespan`` is an async context manager factory run around the
    application's life (``on_startup``/``on_shutdown`` are its deprecated alternative).

    Beyond upstream: ``max_body_size`` (an attribute, set before the first request) refuses request bodies over
    that many bytes with 413, unless a Router, Mount or Route nearer the endpoint sets its own limit.
    """

    _max_body_size: Optional[int] = None
    # The middleware stack that was last planned for, and the plan (see _planned_stack).
    _planned_for: Optional[ASGIApp] = None
    _plan: _Plan = _NOT_INLINED

    def __init__(
        self: AppType,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[AppType] | None = None,
    ) -> None:
        # The lifespan context function is a newer style that replaces on_startup / on_shutdown handlers.
        assert lifespan is None or (on_startup is None and on_shutdown is None), (
            "Use either 'lifespan' or 'on_startup'/'on_shutdown', not both."
        )
        self.debug = debug
        self.state = State()
        self.router = Router(routes, on_startup=on_startup, on_shutdown=on_shutdown, lifespan=lifespan)
        self.exception_handlers = {} if exception_handlers is None else dict(exception_handlers)
        self.user_middleware = [] if middleware is None else list(middleware)
        self.middleware_stack: ASGIApp | None = None

    @property
    def max_body_size(self) -> int | None:
        return self._max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int | None) -> None:
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot change max_body_size after an application has started")
        self._max_body_size = check_limit(value)

    def build_middleware_stack(self) -> ASGIApp:
        debug = self.debug
        error_handler = None
        exception_handlers: dict[Any, ExceptionHandler] = {}

        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                exception_handlers[key] = value

        middleware = [Middleware(ServerErrorMiddleware, handler=error_handler, debug=debug)]
        if self._max_body_size is not None:
            middleware.append(Middleware(BodyLimitMiddleware, max_body_size=self._max_body_size))
        middleware += self.user_middleware
        middleware.append(Middleware(ExceptionMiddleware, handlers=exception_handlers, debug=debug))

        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.router.url_path_for(name, **path_params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        # The plan starts with the stack it was made for: one check tells that it is current.
        stack, server_errors, exceptions, router, own_request_init = self._plan
        if stack is not self.middleware_stack or scope["type"] != "http":
            stack = self._planned_stack()
            plan = self._plan
            if plan[0] is not stack or scope["type"] != "http":
                await stack(scope, receive, send)
                return
            stack, server_errors, exceptions, router, own_request_init = plan

        # What ServerErrorMiddleware.__call__ (and, right below it, ExceptionMiddleware.__call__) do, inlined:
        # the same nested handling in one coroutine instead of two. They share one tracker of whether the
        # response has started; it is made only for sends that go elsewhere than through the inline code below,
        # which knows when it sends the start itself.
        tracking_send: _TrackingSend | None = None
        started = False
        try:
            if exceptions is None:
                tracking_send = _TrackingSend(send)
                await server_errors.app(scope, receive, tracking_send)
            else:
                scope["starlette.exception_handlers"] = exceptions._handlers
                try:
                    # ExceptionMiddleware._target, for the usual case of the router right below it (and without
                    # middleware or a body limit of its own, as Router._resolve_app checks).
                    if exceptions.app is router and router._direct:
                        # Router._route, inlined up to its static-path step (a call less on the path most requests
                        # take): a static path whose first candidate is a plain Route that takes this method answers.
                        index = router._routes._http
                        if index is None or scope.get("root_path"):
                            app = router._route(scope, "http")
                        else:
                            if "router" not in scope:
                                scope["router"] = router
                            route_path = scope["path"]
                            first = index.first.get(route_path)
                            if first is not None and (not first.methods or scope["method"] in first.methods):
                                inherited = scope.get("path_params")
                                scope["endpoint"] = first.endpoint
                                scope["path_params"] = dict(inherited) if inherited else {}
                                if first._max_body_size is None and _BODY_LIMIT_KEY not in scope:
                                    app = first.app
                                else:
                                    app = first.handle
                            else:
                                app = router._route_candidates(scope, index, route_path)
                    else:
                        app = exceptions._target(scope)
                    if type(app) is not _RequestResponseApp:
                        tracking_send = _TrackingSend(send)
                        await app(scope, receive, tracking_send)
                    else:
                        # And what a request/response endpoint's app does (_RequestResponseApp.__call__), inlined.
                        if own_request_init:
                            request = _new_request(Request)
                            request.scope = scope
                            request._receive = receive
                            request._send = send
                        else:
                            request = Request(scope, receive, send)
                        # (The endpoint read into a local first: a method-style load of a slot is not
                        # specialized on 3.11.)
                        endpoint = app.func
                        try:
                            response = await endpoint(request)
                            if type(response).__call__ is _RESPONSE_CALL:
                                # (Started once the start message is built, as the tracker would say.)
                                start = {
                                    "type": "http.response.start",
                                    "status": response.status_code,
                                    "headers": response.raw_headers,
                                }
                                started = True
                                await send(start)
                                await send({"type": "http.response.body", "body": response.body})
                                if response.background is not None:
                                    await response.background()
                                return
                            tracking_send = _TrackingSend(send)
                            await response(scope, receive, tracking_send)
                        except Exception as exc:
                            tracking_send = _resume_tracking(send, tracking_send, started)
                            started = tracking_send.response_started
                            handlers = scope.get("starlette.exception_handlers", _NO_HANDLERS)
                            if not await _answer(exc, handlers, started, request, scope, receive, tracking_send):
                                raise
                except Exception as exc:
                    tracking_send = _resume_tracking(send, tracking_send, started)
                    if not await exceptions._handle(exc, scope, receive, tracking_send, tracking_send.response_started):
                        raise
        except Exception as exc:
            tracking_send = _resume_tracking(send, tracking_send, started)
            await server_errors._respond(exc, scope, receive, send, tracking_send.response_started)
            # Re-raise always: the server logs it, and a test client can raise it in the test.
            raise

    def _planned_stack(self) -> ASGIApp:
        """The middleware stack, built if need be, with ``_plan`` made for it if it is new: the stack itself and
        the layers that ``__call__`` runs inline (see _inline_plan), or _NOT_INLINED.
        """
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        if stack is not self._planned_for:
            self._planned_for = stack
            layers = _inline_plan(stack)
            self._plan = _NOT_INLINED if layers is None else (stack, *layers)
        return stack

    def on_event(self, event_type: str) -> Callable:  # type: ignore[type-arg]
        return self.router.on_event(event_type)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app=app, name=name)

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.host(host, app=app, name=name)

    def add_middleware(self, middleware_class: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def add_exception_handler(
        self,
        exc_class_or_status_code: int | type[Exception],
        handler: ExceptionHandler,
    ) -> None:
        self.exception_handlers[exc_class_or_status_code] = handler

    def add_event_handler(self, event_type: str, func: Callable) -> None:  # type: ignore[type-arg]
        self.router.add_event_handler(event_type, func)

    def add_route(
        self,
        path: str,
        route: Callable[[Request], Awaitable[Response] | Response],
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.router.add_route(path, route, methods=methods, name=name, include_in_schema=include_in_schema)

    def add_websocket_route(
        self,
        path: str,
        route: Callable[[WebSocket], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        self.router.add_websocket_route(path, route, name=name)

    def exception_handler(self, exc_class_or_status_code: int | type[Exception]) -> Callable:  # type: ignore[type-arg]
        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_exception_handler(exc_class_or_status_code, func)
            return func

        return decorator

    def route(
        self,
        path: str,
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_route``; use ``routes=[Route(path, endpoint=...)]``."""
        warnings.warn(
            "The `route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://starlette.dev/routing/ for the recommended approach.",
            DeprecationWarning,
            stacklevel=2,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.router.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_websocket_route``."""
        warnings.warn(
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://starlette.dev/routing/#websocket-routing for the recommended approach.",
            DeprecationWarning,
            stacklevel=2,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.router.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def middleware(self, middleware_type: str) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_middleware(BaseHTTPMiddleware, dispatch=func)``."""
        warnings.warn(
            "The `middleware` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://starlette.dev/middleware/#using-middleware for recommended approach.",
            DeprecationWarning,
            stacklevel=2,
        )
        assert middleware_type == "http", 'Currently only middleware("http") is supported.'

        from starlette_middleware.base import BaseHTTPMiddleware

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator
