"""``OpenTelemetryMiddleware`` (``starlette.middleware.opentelemetry``): server spans, checked with the real SDK."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import starlette_routing.opentelemetry as opentelemetry_module
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware import Middleware
from starlette_routing import __version__
from starlette_routing.applications import Starlette
from starlette_routing.opentelemetry import OpenTelemetryMiddleware
from starlette_routing.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute
from tests.routing._asgi import call, http_scope

TestClientFactory = Callable[..., Any]

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    [span] = exporter.get_finished_spans()
    exporter.clear()
    return span


def common(path: str, status: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The attributes of a TestClient GET request for ``path``, plus ``extra``."""
    attributes: dict[str, Any] = {
        "http.request.method": "GET",
        "url.path": path,
        "url.scheme": "http",
        "server.address": "testserver",
        "server.port": 80,
        "network.protocol.version": "1.1",
        "client.address": "testclient",
        "user_agent.original": "testclient",
    }
    if status is not None:
        attributes["http.response.status_code"] = status
    attributes.update(extra or {})
    return attributes


async def item(request: Request) -> Response:
    return PlainTextResponse(f"item {request.path_params['id']}")


async def boom(request: Request) -> Response:
    raise ValueError("boom!")


async def unavailable(request: Request) -> Response:
    return Response(status_code=503)


async def teapot(request: Request) -> Response:
    raise HTTPException(418)


async def fails_mid_stream(request: Request) -> Response:
    async def body() -> Any:
        yield b"a"
        raise KeyError("mid-stream")

    return StreamingResponse(body())


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


async def plain(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("plain")(scope, receive, send)


class Outer:
    class Failure(Exception):
        pass


async def fails_with_nested_class(request: Request) -> Response:
    raise Outer.Failure("nested")


def application(provider: TracerProvider, **options: Any) -> Starlette:
    return Starlette(
        routes=[
            Route("/items/{id}", item, methods=["GET", "POST"]),
            Route("/boom", boom),
            Route("/unavailable", unavailable),
            Route("/teapot", teapot),
            Route("/mid-stream", fails_mid_stream),
            Route("/nested", fails_with_nested_class),
            Route("/slash/", item),
            WebSocketRoute("/ws", echo),
            Mount(
                "/api/{version}",
                routes=[Route("/items/{id:int}", item), Mount("/deep", routes=[Route("/x/{id}", item)])],
            ),
            Mount("/static", app=plain),
            Host("{sub}.example.com", app=Router([Route("/h/{id}", item)])),
        ],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider, **options)],
    )


def test_signature_is_upstreams() -> None:
    assert str(inspect.signature(OpenTelemetryMiddleware)) == (
        "(app: 'ASGIApp', *, excluded_urls: 'str | Sequence[str]' = (), "
        "tracer_provider: 'trace.TracerProvider | None' = None, "
        "meter_provider: 'metrics.MeterProvider | None' = None) -> 'None'"
    )


def test_a_matched_route_names_the_span(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider))
    assert client.get("/items/42?q=1", headers={"User-Agent": "agent/1"}).text == "item 42"
    span = only_span(exporter)
    assert (span.name, span.kind, span.status.status_code) == ("GET /items/{id}", SpanKind.SERVER, StatusCode.UNSET)
    assert dict(span.attributes or {}) == common(
        "/items/42", 200, {"url.query": "q=1", "user_agent.original": "agent/1", "http.route": "/items/{id}"}
    )
    assert span.parent is None
    assert span.instrumentation_scope is not None
    assert (span.instrumentation_scope.name, span.instrumentation_scope.version) == ("starlette", __version__)

    client.post("/items/7", content=b"body")
    span = only_span(exporter)
    assert span.name == "POST /items/{id}"
    assert span.attributes is not None and span.attributes["http.request.method"] == "POST"


def test_no_route_no_template(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider), follow_redirects=False)
    assert client.get("/nowhere").status_code == 404
    span = only_span(exporter)
    assert (span.name, span.status.status_code) == ("GET", StatusCode.UNSET)
    assert dict(span.attributes or {}) == common("/nowhere", 404)
    assert client.get("/slash").status_code == 307  # the slash redirect is no route either
    assert only_span(exporter).name == "GET"


def test_a_method_the_route_does_not_take(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider))
    assert client.put("/items/1").status_code == 405
    span = only_span(exporter)
    assert span.name == "PUT /items/{id}"
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 405
    assert client.request("FOO", "/items/1").status_code == 405
    span = only_span(exporter)
    assert span.name == "FOO /items/{id}"
    assert span.attributes is not None and "http.request.method_original" not in span.attributes


def test_an_exception_is_recorded(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider), raise_server_exceptions=False)
    assert client.get("/boom").status_code == 500
    span = only_span(exporter)
    assert span.name == "GET /boom"
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "ValueError: boom!")
    # The 500 is ServerErrorMiddleware's, outside this middleware: the span never saw a response.
    assert dict(span.attributes or {}) == common("/boom", None, {"error.type": "ValueError", "http.route": "/boom"})
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert (event.attributes["exception.type"], event.attributes["exception.message"]) == ("ValueError", "boom!")

    client.get("/nested")
    span = only_span(exporter)
    assert span.attributes is not None and span.attributes["error.type"] == "Outer.Failure"


def test_an_exception_after_the_response_started(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider), raise_server_exceptions=False)
    assert client.get("/mid-stream").status_code == 200  # (the body breaks off)
    span = only_span(exporter)
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "KeyError: 'mid-stream'")
    assert dict(span.attributes or {}) == common(
        "/mid-stream", 200, {"error.type": "KeyError", "http.route": "/mid-stream"}
    )


def test_server_errors_and_client_errors(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider))
    assert client.get("/unavailable").status_code == 503
    span = only_span(exporter)
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, None)
    assert dict(span.attributes or {}) == common(
        "/unavailable", 503, {"error.type": "503", "http.route": "/unavailable"}
    )
    assert span.events == ()
    assert client.get("/teapot").status_code == 418
    span = only_span(exporter)
    assert span.status.status_code == StatusCode.UNSET  # a client's error is not the server's
    assert span.attributes is not None and "error.type" not in span.attributes


def test_mounts_and_hosts(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider))
    expected = {
        # (As upstream: a mount contributes the path it matched, its parameters' values included.)
        "/api/v1/items/7": "/api/v1/items/{id}",
        "/api/v2/deep/x/7": "/api/v2/deep/x/{id}",
        "/static/a/b": "/static",
        "http://foo.example.com/h/3": "/h/{id}",
    }
    for url, template in expected.items():
        assert client.get(url).status_code == 200
        span = only_span(exporter)
        assert span.name == f"GET {template}"
        assert span.attributes is not None and span.attributes["http.route"] == template


def test_the_root_path_is_part_of_the_template(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = test_client_factory(application(provider), root_path="/prefix")
    assert client.get("/prefix/items/1").status_code == 200
    assert only_span(exporter).name == "GET /prefix/items/{id}"


def test_routes_of_other_kinds(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    class Custom(BaseRoute):
        def __init__(self, prefix: str) -> None:
            self.prefix = prefix

        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return (Match.FULL, {}) if scope["path"].startswith(self.prefix) else (Match.NONE, {})

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            await plain(scope, receive, send)

    class WithFormat(Custom):
        path_format = "/formatted/{x}"

    class SubMount(Mount):
        pass

    app = Starlette(
        routes=[Custom("/custom"), WithFormat("/formatted"), SubMount("/sub/{x}", app=plain), Mount("", app=plain)],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
    )
    client = test_client_factory(app)
    for path, name in [
        ("/custom/1", "GET"),  # a route without a path_format: no template
        ("/formatted/1", "GET /formatted/{x}"),
        ("/sub/q/z", "GET /sub/q"),
        ("/anything", "GET /"),  # a mount at the root
    ]:
        assert client.get(path).text == "plain"
        assert only_span(exporter).name == name


def test_websockets_and_lifespan_are_not_traced(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with test_client_factory(application(provider)) as client, client.websocket_connect("/ws") as websocket:
        websocket.send_text("hello")
        assert websocket.receive_text() == "hello"
    assert exporter.get_finished_spans() == ()


def test_the_incoming_trace_context_is_the_parent(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    seen: list[trace.Span] = []

    async def current(request: Request) -> Response:
        seen.append(trace.get_current_span())
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/", current)], middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)]
    )
    client = test_client_factory(app)
    client.get("/", headers=[("traceparent", TRACEPARENT), ("tracestate", "a=1"), ("tracestate", "b=2")])
    span = only_span(exporter)
    assert span.parent is not None and span.parent.is_remote
    assert (span.parent.trace_id, span.parent.span_id) == (0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331)
    assert span.context is not None and span.context.trace_id == span.parent.trace_id
    assert dict(span.parent.trace_state) == {"a": "1", "b": "2"}  # both tracestate headers, joined
    # The server span is the current span while the endpoint runs.
    assert seen[0].get_span_context().span_id == span.context.span_id


@pytest.mark.parametrize(
    ("excluded_urls", "excluded"),
    [
        (" /items/9$ , ,health", {"/items/9", "/healthz"}),  # a string: comma-separated, stripped, empties dropped
        ("", set()),
        (["^http://testserver/items/9$"], {"/items/9"}),  # the full URL, query included
        ([" /items/9"], set()),  # a sequence's expressions are taken as they are
        (["/nothing", "(?i)/ITEMS/1"], {"/items/1"}),  # each expression on its own (flags too)
        ((), set()),
    ],
)
def test_excluded_urls(
    excluded_urls: Any,
    excluded: set[str],
    test_client_factory: TestClientFactory,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    client = test_client_factory(application(provider, excluded_urls=excluded_urls))
    for path in ["/items/9", "/items/9?x=1", "/items/1", "/healthz"]:
        assert client.get(path).status_code in (200, 404)
        traced = [span.attributes["url.path"] for span in exporter.get_finished_spans() if span.attributes]
        exporter.clear()
        assert traced == ([] if path in excluded else [path.partition("?")[0]])


def test_bad_excluded_urls_fail_at_construction(provider: TracerProvider) -> None:
    with pytest.raises(re.error):
        OpenTelemetryMiddleware(plain, excluded_urls=["("], tracer_provider=provider)
    with pytest.raises(TypeError):
        OpenTelemetryMiddleware(plain, excluded_urls=[1], tracer_provider=provider)  # type: ignore[list-item]


def test_no_metrics_are_recorded(test_client_factory: TestClientFactory, provider: TracerProvider) -> None:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    app = OpenTelemetryMiddleware(plain, tracer_provider=provider, meter_provider=meter_provider)
    assert test_client_factory(app).get("/").text == "plain"
    assert reader.get_metrics_data() is None  # (as upstream 1.10: the meter provider is accepted, not used)
    meter_provider.shutdown()


def test_the_global_tracer_provider_by_default(test_client_factory: TestClientFactory) -> None:
    seen: list[trace.Span] = []

    async def current(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(trace.get_current_span())
        await plain(scope, receive, send)

    assert test_client_factory(OpenTelemetryMiddleware(current)).get("/").text == "plain"
    # No global provider is set in these tests: the global proxy's spans record nothing.
    assert not seen[0].is_recording()


# --- Attributes from hand-made scopes ---------------------------------------------------------------------------


async def traced(
    provider: TracerProvider, exporter: InMemorySpanExporter, scope: Scope, app: ASGIApp = plain
) -> dict[str, Any]:
    await call(OpenTelemetryMiddleware(app, tracer_provider=provider), scope)
    return dict(only_span(exporter).attributes or {})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("extra", "attributes"),
    [
        ({}, {}),
        (
            {"server": ("10.0.0.1", 8080), "scheme": "https", "http_version": "2", "client": ("10.0.0.2", 1234)},
            {
                "server.address": "10.0.0.1",
                "server.port": 8080,
                "network.protocol.version": "2",
                "client.address": "10.0.0.2",
            },
        ),
        # The Host header's name, and its port, else the server's.
        (
            {"headers": [(b"host", b"example.com")], "server": ("10.0.0.1", 8080)},
            {"server.address": "example.com", "server.port": 8080},
        ),
        ({"headers": [(b"host", b"example.com:8443")]}, {"server.address": "example.com", "server.port": 8443}),
        ({"headers": [(b"host", b"example.com")]}, {"server.address": "example.com"}),
        ({"headers": [(b"host", b"[::1]")]}, {"server.address": "::1"}),
        # A Host header that is not a plain host[:port] is not used (as everywhere in this toolkit).
        (
            {"headers": [(b"host", b"example.com:abc")], "server": ("10.0.0.1", 80)},
            {"server.address": "10.0.0.1", "server.port": 80},
        ),
        (
            {"headers": [(b"user-agent", b"first \xff"), (b"user-agent", b"second")]},
            {"user_agent.original": "first \xff"},
        ),
        ({"query_string": b"a=%20b&c=\xc3\xa9"}, {"url.query": "a=%20b&c=\u00e9"}),
        # A query that is not UTF-8 (upstream fails the request with UnicodeDecodeError).
        ({"query_string": b"a=\xff"}, {"url.query": "a=\ufffd"}),
        ({"method": "get"}, {"http.request.method_original": "get"}),
    ],
)
async def test_request_attributes(
    extra: dict[str, Any], attributes: dict[str, Any], provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    scope = http_scope("/p")
    del scope["http_version"]
    scope.update(extra)
    expected = {"http.request.method": "GET", "url.path": "/p", "url.scheme": extra.get("scheme", "http")}
    expected.update(attributes)
    expected["http.response.status_code"] = 200
    assert await traced(provider, exporter, scope) == expected


@pytest.mark.anyio
async def test_a_scope_without_optional_keys(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    assert await traced(provider, exporter, {"type": "http", "path": "/p", "headers": []}) == {
        "http.request.method": "",
        "url.path": "/p",
        "url.scheme": "http",
        "http.response.status_code": 200,
    }


@pytest.mark.anyio
async def test_an_app_that_sends_nothing(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    attributes = await traced(provider, exporter, http_scope("/p", http_version="1.1"), silent)
    assert "http.response.status_code" not in attributes


@pytest.mark.anyio
async def test_other_messages_pass_through(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one"})

    async def receive() -> Message:  # pragma: no cover - the app reads nothing
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await OpenTelemetryMiddleware(app, tracer_provider=provider)(http_scope("/"), receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert only_span(exporter).attributes is not None


# --- Without opentelemetry-api ----------------------------------------------------------------------------------


def test_without_opentelemetry_construction_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ImportError, match=r"opentelemetry-api must be installed.*: pip install opentelemetry-api"):
        OpenTelemetryMiddleware(plain)


def test_module_imports_without_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    spec = importlib.util.spec_from_file_location("_otel_without_api", opentelemetry_module.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    with pytest.raises(ImportError, match=r"pip install opentelemetry-api"):
        fresh.OpenTelemetryMiddleware(plain)


def test_an_instance_inside_another_makes_no_second_span(
    test_client_factory: TestClientFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    # One middleware on the app and one on a mounted app (or twice on one app): one server span per request, named
    # by the inner route, as upstream 1.x (it marks the scope; the inner instance passes the request through).
    inner = Starlette(
        routes=[Route("/u/{id}", item)], middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)]
    )
    app = Starlette(
        routes=[Mount("/sub", inner)], middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)]
    )
    client = test_client_factory(OpenTelemetryMiddleware(app, tracer_provider=provider))
    assert client.get("/sub/u/1").text == "item 1"
    span = only_span(exporter)
    assert span.name == "GET /sub/u/{id}"
    assert span.attributes is not None and span.attributes["http.route"] == "/sub/u/{id}"
