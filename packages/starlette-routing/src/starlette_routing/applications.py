"""The application class (``starlette.applications``)."""

from __future__ import annotations

import sys
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from starlette_core._utils import LazyImports, warn_as_module
from starlette_core.datastructures import State, URLPath
from starlette_core.requests import Request
from starlette_core.responses import Response
from starlette_core.types import ASGIApp, ExceptionHandler, Lifespan, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware import Middleware, _MiddlewareFactory
from starlette_middleware._body_limit import check_limit
from starlette_middleware.body_limit import RequestBodyLimitMiddleware
from starlette_middleware.errors import ServerErrorMiddleware
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing.routing import BaseRoute, Router

if sys.version_info >= (3, 10):  # pragma: no cover
    from typing import ParamSpec
else:  # pragma: no cover
    from typing_extensions import ParamSpec

AppType = TypeVar("AppType", bound="Starlette")
P = ParamSpec("P")

# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.applications"

# Upstream's name for what this module imports on first use (see LazyImports): only the deprecated
# ``middleware("http")`` decorator needs it.
_lazy = LazyImports(globals(), {"BaseHTTPMiddleware": "starlette_middleware.base:BaseHTTPMiddleware"})
if TYPE_CHECKING:
    from starlette_middleware.base import BaseHTTPMiddleware
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


class Starlette:
    """Creates an application instance.

    ``debug`` shows tracebacks on errors; ``routes`` are served by the application's Router; ``middleware`` wraps
    it (ServerErrorMiddleware outermost, ExceptionMiddleware innermost); ``exception_handlers`` map status codes
    or exception classes to handlers; ``lifespan`` is an async context manager factory run around the
    application's life (``on_startup``/``on_shutdown`` are its deprecated alternative).

    ``max_body_size`` refuses request bodies over that many bytes with 413 (see
    :mod:`starlette_middleware.body_limit`), unless a Router, Mount or Route nearer the endpoint sets its own limit.
    Beyond upstream it is also an attribute that may be set until the first request.
    """

    _max_body_size: Optional[int] = None

    def __init__(
        self: AppType,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[AppType] | None = None,
        *,
        max_body_size: int | None = None,
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
        self.max_body_size = max_body_size

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
            middleware.append(Middleware(RequestBodyLimitMiddleware, max_body_size=self._max_body_size))
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
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

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
        """Deprecated decorator form of ``add_exception_handler``; use ``exception_handlers={...}``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `exception_handler` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/exceptions/ for the recommended approach.",
            DeprecationWarning,
        )

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
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/routing/ for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.router.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_websocket_route``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/routing/#websocket-routing for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.router.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def middleware(self, middleware_type: str) -> Callable:  # type: ignore[type-arg]
        """Deprecated decorator form of ``add_middleware(BaseHTTPMiddleware, dispatch=func)``."""
        warn_as_module(
            _UPSTREAM_MODULE,
            "The `middleware` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/middleware/#using-middleware for recommended approach.",
            DeprecationWarning,
        )
        assert middleware_type == "http", 'Currently only middleware("http") is supported.'

        _lazy.load("BaseHTTPMiddleware")

        def decorator(func: Callable) -> Callable:  # type: ignore[type-arg]
            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator
