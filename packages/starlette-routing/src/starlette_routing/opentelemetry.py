"""OpenTelemetry server spans for HTTP requests (``starlette.middleware.opentelemetry``).

``OpenTelemetryMiddleware`` makes one ``SERVER`` span per HTTP request (WebSocket and lifespan scopes pass
through untraced), named ``"{method} {route template}"`` once routing has found the route (``"GET /items/{id}"``),
else ``"{method}"``; the trace context of the request's ``traceparent``/``tracestate`` headers is its parent. It
carries the HTTP semantic-convention attributes: ``http.request.method`` (upper case; the method as sent in
``http.request.method_original`` when that differs), ``url.path``, ``url.scheme``, ``url.query``,
``server.address``, ``server.port``, ``network.protocol.version``, ``client.address``, ``user_agent.original``,
``http.response.status_code`` and ``http.route``. A 5xx response sets the span's status to ERROR and ``error.type``
to the status code; an exception that escapes the app is recorded on the span (status ERROR, an ``exception``
event) and ``error.type`` is its class name.

The route template is read from ``scope["route"]``, which the router sets to the route it picked: the root path
of the request joined with the route's ``path_format``, or for a Mount its root path. Upstream calls the
middleware experimental: its API and the telemetry it emits may change.

It lives in starlette-routing because it reads the router's routes. It needs the ``opentelemetry-api`` package
(the ``opentelemetry`` extra), imported when the middleware is created.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette_core.datastructures import URL
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_routing import __version__
from starlette_routing.routing import Mount

if TYPE_CHECKING:
    from opentelemetry import metrics, trace

__all__ = ["OpenTelemetryMiddleware"]

_INSTALL_HINT = "opentelemetry-api must be installed to use OpenTelemetryMiddleware: pip install opentelemetry-api"
# Set in the scope of a request an instance has a span for: an instance further in (on a mounted app, say) passes
# the request through, as upstream 1.x does (the key is upstream's).
_INSTRUMENTED_SCOPE_KEY = "starlette.opentelemetry"


def _excluded_patterns(excluded_urls: str | Sequence[str]) -> tuple[re.Pattern[str], ...]:
    """The regular expressions of ``excluded_urls``: a comma-separated string (each item stripped, empty items
    dropped) or a sequence of expressions (taken as they are)."""
    if isinstance(excluded_urls, str):
        patterns = [pattern.strip() for pattern in excluded_urls.split(",")]
        return tuple(re.compile(pattern) for pattern in patterns if pattern)
    return tuple(re.compile(pattern) for pattern in excluded_urls)


def _route_template(scope: Scope) -> str | None:
    """The template of the route that served the request (see the module's documentation), if any."""
    route = scope.get("route")
    if route is None:
        return None
    root_path: str = scope.get("root_path", "")
    if isinstance(route, Mount):
        return root_path or "/"
    path_format = getattr(route, "path_format", None)
    return root_path + path_format if isinstance(path_format, str) else None


def _request_attributes(scope: Scope, url: URL) -> dict[str, Any]:
    """The span's attributes known before the app runs."""
    method: str = scope.get("method", "")
    upper = method.upper()
    attributes: dict[str, Any] = {
        "http.request.method": upper,
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
    }
    if method != upper:
        attributes["http.request.method_original"] = method
    query_string: bytes = scope.get("query_string", b"")
    if query_string:
        # (A query that is not UTF-8 is the client's business: never a reason to fail the request.)
        attributes["url.query"] = query_string.decode("utf-8", "replace")
    hostname = url.hostname
    if hostname:
        attributes["server.address"] = hostname
    server = scope.get("server")
    port = url.port or (server[1] if server else None)
    if port is not None:
        attributes["server.port"] = port
    if "http_version" in scope:
        attributes["network.protocol.version"] = scope["http_version"]
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    for key, value in scope.get("headers", ()):
        if key == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
            break
    return attributes


def _carrier(scope: Scope) -> dict[str, str]:
    """The request headers as a propagation carrier (repeated headers joined with commas, as HTTP allows)."""
    carrier: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1")
        text = value.decode("latin-1")
        carrier[name] = f"{carrier[name]},{text}" if name in carrier else text
    return carrier


class OpenTelemetryMiddleware:
    """Creates an OpenTelemetry server span for every HTTP request (see the module's documentation).

    ``excluded_urls``: regular expressions searched in the full request URL (``http://host/path?query``), as a
    comma-separated string or a sequence; a request whose URL matches one gets no span. ``tracer_provider``: the
    provider of the tracer (by default the global one). ``meter_provider`` is accepted for upstream compatibility;
    like upstream 1.10, the middleware records no metrics.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        excluded_urls: str | Sequence[str] = (),
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        try:
            from opentelemetry import propagate, trace
        except ImportError:
            raise ImportError(_INSTALL_HINT) from None
        self.app = app
        self._excluded = _excluded_patterns(excluded_urls)
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._tracer = trace.get_tracer("starlette", __version__, tracer_provider)
        self._extract = propagate.extract
        self._server_kind = trace.SpanKind.SERVER
        self._error_status = trace.Status(trace.StatusCode.ERROR)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _INSTRUMENTED_SCOPE_KEY in scope:
            # (An enclosing instance has the request's span already: one request, one server span, as upstream.)
            await self.app(scope, receive, send)
            return
        url = URL(scope=scope)
        if self._excluded:
            full_url = str(url)
            if any(pattern.search(full_url) for pattern in self._excluded):
                await self.app(scope, receive, send)
                return
        scope[_INSTRUMENTED_SCOPE_KEY] = True
        attributes = _request_attributes(scope, url)
        method: str = attributes["http.request.method"]
        with self._tracer.start_as_current_span(
            method, context=self._extract(_carrier(scope)), kind=self._server_kind, attributes=attributes
        ) as span:

            async def send_with_telemetry(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_code: int = message["status"]
                    span.set_attribute("http.response.status_code", status_code)
                    if status_code >= 500:
                        span.set_attribute("error.type", str(status_code))
                        span.set_status(self._error_status)
                await send(message)

            try:
                await self.app(scope, receive, send_with_telemetry)
            except Exception as exc:
                # (The span itself records the exception and sets its status as the exception leaves it.)
                span.set_attribute("error.type", type(exc).__qualname__)
                raise
            finally:
                template = _route_template(scope)
                if template is not None:
                    span.set_attribute("http.route", template)
                    span.update_name(f"{method} {template}")
