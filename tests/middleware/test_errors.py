"""ServerErrorMiddleware: 500 responses, custom handlers, the debug traceback page (HTML and plain text)."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.errors import (
    CENTER_LINE,
    FRAME_TEMPLATE,
    JS,
    LINE,
    STYLES,
    TEMPLATE,
    ServerErrorMiddleware,
)

from ._helpers import Recorder, disconnected_receiver, http_scope

TestClientFactory = Callable[..., Any]


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("Something <went> wrong")


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("fine")(scope, receive, send)


def test_templates_are_strings_with_their_fields() -> None:
    for name in ("{styles}", "{js}", "{error}", "{exc_html}"):
        assert name in TEMPLATE
    for name in ("{frame_filename}", "{frame_lineno}", "{frame_name}", "{code_context}", "{collapsed}"):
        assert name in FRAME_TEMPLATE
    assert "{lineno}" in LINE and "{line}" in LINE
    assert "{lineno}" in CENTER_LINE and "center-line" in CENTER_LINE
    assert "<script" in JS
    assert ".collapsed" in STYLES


def test_no_error_passes_through(test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(ServerErrorMiddleware(ok_app)).get("/").text == "fine"


def test_default_500_and_the_exception_is_reraised(test_client_factory: TestClientFactory) -> None:
    app = ServerErrorMiddleware(failing_app)
    with pytest.raises(RuntimeError, match="Something <went> wrong"):
        test_client_factory(app).get("/")

    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_async_handler(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc), "path": request.url.path}, status_code=500)

    client = test_client_factory(ServerErrorMiddleware(failing_app, handler=handler), raise_server_exceptions=False)
    response = client.get("/here")
    assert response.status_code == 500
    assert response.json() == {"error": "Something <went> wrong", "path": "/here"}


def test_sync_handler(test_client_factory: TestClientFactory) -> None:
    def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"sync handled {type(exc).__name__}", status_code=503)

    client = test_client_factory(ServerErrorMiddleware(failing_app, handler=handler), raise_server_exceptions=False)
    response = client.get("/")
    assert (response.status_code, response.text) == (503, "sync handled RuntimeError")


def test_debug_html_page(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ServerErrorMiddleware(failing_app, debug=True), raise_server_exceptions=False)
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.text
    assert "<title>Starlette Debugger</title>" in text
    assert "500 Server Error" in text
    assert "RuntimeError: Something &lt;went&gt; wrong" in text
    assert "Something <went>" not in text
    # The source line that raised, escaped, on the highlighted line, with the function and file.
    assert "raise&nbsp;RuntimeError(&quot;Something&nbsp;&lt;went&gt;&nbsp;wrong&quot;)" in text
    assert "<b>failing_app</b>" in text
    assert "test_errors.py" in text
    assert 'class="center-line"' in text


def test_debug_handler_is_not_used(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        raise AssertionError("debug mode wins")  # pragma: no cover

    client = test_client_factory(
        ServerErrorMiddleware(failing_app, handler=handler, debug=True), raise_server_exceptions=False
    )
    assert "Traceback" in client.get("/").text


def test_debug_plain_text_when_html_is_not_accepted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ServerErrorMiddleware(failing_app, debug=True), raise_server_exceptions=False)
    for accept in ("*/*", "application/json", ""):
        response = client.get("/", headers={"Accept": accept})
        assert response.status_code == 500
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text.startswith("Traceback (most recent call last):")
        assert "RuntimeError: Something <went> wrong" in response.text
        assert 'raise RuntimeError("Something <went> wrong")' in response.text


@pytest.mark.anyio
async def test_error_after_the_response_started() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("too late")

    sent = Recorder()
    with pytest.raises(ValueError, match="too late"):
        await ServerErrorMiddleware(app, debug=True)(http_scope(), disconnected_receiver(), sent)
    # Nothing more is sent: the response had begun.
    assert sent.messages == [{"type": "http.response.start", "status": 200, "headers": []}]


def test_websocket_errors_pass_through(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise RuntimeError("ws failure")

    client = test_client_factory(ServerErrorMiddleware(ws_app))
    with pytest.raises(RuntimeError, match="ws failure"), client.websocket_connect("/"):
        pass  # pragma: no cover


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await ServerErrorMiddleware(app)({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == ["lifespan"]


def test_generate_html_for_an_exception_that_was_never_raised() -> None:
    html = ServerErrorMiddleware(ok_app).generate_html(ValueError("<never raised>"))
    assert "ValueError: &lt;never raised&gt;" in html
    assert 'class="frame-line"' not in html


def test_generate_html_limit_and_collapsing() -> None:
    def inner() -> None:
        raise KeyError("deep")

    def outer() -> None:
        inner()

    try:
        outer()
    except KeyError as exc:
        html = ServerErrorMiddleware(ok_app).generate_html(exc, limit=1)
    # Innermost frame first and expanded; the callers collapsed.
    assert html.index("<b>inner</b>") < html.index("<b>outer</b>")
    assert html.count('source-code collapsed"') == 2
    assert html.count("&#8210;") >= 1
    # limit=1: the raising line only.
    assert html.count('class="center-line"') == 3
    assert html.count("<p><span") == 0


def test_frame_without_source() -> None:
    namespace: dict[str, Any] = {}
    exec(compile("def generated():\n    raise OSError('from generated code')\n", "<generated>", "exec"), namespace)
    try:
        namespace["generated"]()
    except OSError as exc:
        html = ServerErrorMiddleware(ok_app).generate_html(exc)
    assert "&lt;generated&gt;" in html
    assert "<b>generated</b>" in html


def test_format_line() -> None:
    middleware = ServerErrorMiddleware(ok_app)
    assert middleware.format_line(2, "x = 1 < 2\n", frame_lineno=10, frame_index=2) == CENTER_LINE.format(
        lineno=10, line="x&nbsp;=&nbsp;1&nbsp;&lt;&nbsp;2\n"
    )
    assert middleware.format_line(0, "y\n", frame_lineno=10, frame_index=2) == LINE.format(lineno=8, line="y\n")


def test_generate_frame_html_escapes_names() -> None:
    def make_frame() -> inspect.FrameInfo:
        frame = inspect.currentframe()
        assert frame is not None
        info = inspect.getframeinfo(frame, context=1)
        return inspect.FrameInfo(frame, "<file>", info.lineno, "<lambda>", info.code_context, info.index)

    html = ServerErrorMiddleware(ok_app).generate_frame_html(make_frame(), is_collapsed=True)
    assert "&lt;file&gt;" in html and "&lt;lambda&gt;" in html
    assert 'class="source-code collapsed"' in html
    assert ">+</button>" in html


def test_generate_plain_text() -> None:
    try:
        raise TypeError("plain")
    except TypeError as exc:
        text = ServerErrorMiddleware(ok_app).generate_plain_text(exc)
    assert text.startswith("Traceback (most recent call last):")
    assert text.rstrip().endswith("TypeError: plain")


def test_error_response_and_debug_response_directly() -> None:
    middleware = ServerErrorMiddleware(ok_app)
    request = Request(http_scope(headers=[(b"accept", b"text/html")]))
    exc = RuntimeError("direct")
    response = middleware.error_response(request, exc)
    assert (response.status_code, response.body) == (500, b"Internal Server Error")
    debug = middleware.debug_response(request, exc)
    assert debug.status_code == 500
    assert b"RuntimeError: direct" in bytes(debug.body)


def test_exception_whose_str_fails(test_client_factory: TestClientFactory) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise ValueError("no string for you")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise Unprintable()

    client = test_client_factory(ServerErrorMiddleware(app, debug=True), raise_server_exceptions=False)
    response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "Unprintable: &lt;exception str() failed&gt;" in response.text
    response = client.get("/")
    assert response.status_code == 500
    assert "Unprintable" in response.text


@pytest.mark.anyio
async def test_the_send_handed_down_is_the_trackers_bound_forward() -> None:
    # (A README "Differences" row: upstream hands down a closure; tools that name spans after it see this name.)
    from starlette_middleware.exceptions import ExceptionMiddleware

    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send.__qualname__)
        await PlainTextResponse("ok")(scope, receive, send)

    await ServerErrorMiddleware(ExceptionMiddleware(app))(http_scope(), disconnected_receiver(), Recorder())
    assert seen == ["TrackingSend.forward"]
