"""``ServerErrorMiddleware``: the outermost safety net, turning an unhandled exception into a 500 response.

With ``debug=True`` the response is a traceback: an HTML page with the source lines around each frame when the
client accepts HTML, plain text otherwise.  Without it, the ``handler`` (sync or async) or a plain
"Internal Server Error" answers.  The exception is re-raised in every case so that the server can log it.

``ClientDisconnect`` is the exception to that rule (upstream answers it like any other error, and servers then log
a traceback for every client that hangs up mid-request). It means the client has gone: there is nobody to send a
500 to and nothing went wrong on the server, so the middleware neither builds a response (the ``handler`` and the
debug page are not run) nor re-raises; the app's call simply ends. Servers treat an app that ends without a
response on a closed connection as normal (uvicorn and hypercorn log nothing). The endpoint still sees
``ClientDisconnect``, and an exception handler registered for it still runs (ExceptionMiddleware is inside this one).
An exception group holding nothing but ``ClientDisconnect`` (tasks of the app's own that read the body) is the same.
Not re-raising costs TestClient users nothing: TestClient reports "http.disconnect" only once the response is
complete, so ``raise_server_exceptions`` would only ever have raised it after the test already had its response.
"""

from __future__ import annotations

import sys as sys  # upstream's module has the name
import traceback
from typing import TYPE_CHECKING

from starlette_core._exception_handler import TrackingSend
from starlette_core._utils import LazyImports, is_async_callable, is_group_of
from starlette_core.concurrency import run_in_threadpool
from starlette_core.requests import ClientDisconnect, Request
from starlette_core.responses import HTMLResponse, PlainTextResponse, Response
from starlette_core.types import ASGIApp, ExceptionHandler, Receive, Scope, Send
from starlette_core.types import Message as Message  # upstream's module has the name

# Upstream's names for what this module imports on first use (see LazyImports): only the debug page needs them.
_lazy = LazyImports(globals(), {"html": "html", "inspect": "inspect"})
if TYPE_CHECKING:
    import html
    import inspect
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


def _escape(text: str) -> str:
    """``html.escape``."""
    _lazy.load("html")
    return html.escape(text)


__all__ = ["CENTER_LINE", "FRAME_TEMPLATE", "JS", "LINE", "STYLES", "TEMPLATE", "ServerErrorMiddleware"]

# Each frame is a header (``p.frame-line``: file, line, function and the collapse button) above a block of source
# lines, one ``<p>`` a line.  The text of a source line sits in a ``span.frame-line`` too (upstream's markup, kept for
# pages and tests that look for it): ``.source-code .frame-line`` undoes the header's box for it and makes it a
# block, so that each line is one row; an inline span's padding and border would paint over its neighbours.
STYLES = """
body {
    margin: 0;
    padding: 1.5rem 2rem;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    color: #1f2328;
    background: #f6f8fa;
}
h1 {
    margin: 0 0 0.25rem;
    font-size: 1.6rem;
    font-weight: 600;
    color: #b42318;
}
h2 {
    margin: 0 0 1.5rem;
    font-size: 1.1rem;
    font-weight: 500;
    word-break: break-word;
}
.traceback-container {
    border: 1px solid #d0d7de;
    border-radius: 6px;
    background: #ffffff;
}
.traceback-title {
    margin: 0;
    padding: 0.6rem 1rem;
    font-weight: 600;
    border-bottom: 1px solid #d0d7de;
}
.frame-line {
    padding: 0.5rem 1rem;
    border-bottom: 1px solid #eaeef2;
    font-size: 0.9rem;
}
.source-code .frame-line {
    display: block;
    padding: 0;
    border: 0;
    font-size: inherit;
}
.frame-filename {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
.collapse-btn {
    float: right;
    width: 1.6rem;
    border: 1px solid #d0d7de;
    border-radius: 4px;
    background: #f6f8fa;
    cursor: pointer;
}
.source-code {
    overflow-x: auto;
    margin: 0;
    padding: 0.25rem 0;
    background: #fbfcfd;
    border-bottom: 1px solid #eaeef2;
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.85rem;
}
.collapsed {
    display: none;
}
.source-code p {
    min-width: fit-content;
    margin: 0;
    padding: 0 1rem;
    white-space: nowrap;
}
.center-line {
    background: #ffebe9;
    font-weight: 600;
}
.lineno {
    display: inline-block;
    min-width: 3.5rem;
    color: #6e7781;
}
"""

JS = """
<script type="text/javascript">
    function collapse(element) {
        // Frames of one file and line (a recursion, say) share an id: the n-th button with it toggles the n-th source.
        var frameId = CSS.escape(element.getAttribute("data-frame-id"));
        var buttons = document.querySelectorAll('[data-frame-id="' + frameId + '"]');
        var sources = document.querySelectorAll('[id="' + frameId + '"]');
        var source = sources[Array.prototype.indexOf.call(buttons, element)];
        if (source.classList.contains("collapsed")) {
            element.innerHTML = "&#8210;";
            source.classList.remove("collapsed");
        } else {
            element.innerHTML = "+";
            source.classList.add("collapsed");
        }
    }
</script>
"""

TEMPLATE = """
<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <style type="text/css">
            {styles}
        </style>
        <title>Starlette Debugger</title>
    </head>
    <body>
        <h1>500 Server Error</h1>
        <h2>{error}</h2>
        <div class="traceback-container">
            <p class="traceback-title">Traceback</p>
            <div>{exc_html}</div>
        </div>
        {js}
    </body>
</html>
"""

FRAME_TEMPLATE = """
<div>
    <p class="frame-line">
    <span class="frame-filename">{frame_filename}</span>,
    line <i>{frame_lineno}</i>,
    in <b>{frame_name}</b>
    <button class="collapse-btn" data-frame-id="{frame_filename}-{frame_lineno}" onclick="collapse(this)">{collapse_button}</button>
    </p>
    <div id="{frame_filename}-{frame_lineno}" class="source-code {collapsed}">{code_context}</div>
</div>
"""  # noqa: E501

LINE = """
<p><span class="frame-line">
<span class="lineno">{lineno}.</span> {line}</span></p>
"""

CENTER_LINE = """
<p class="center-line"><span class="frame-line center-line">
<span class="lineno">{lineno}.</span> {line}</span></p>
"""


class ServerErrorMiddleware:
    """Handles any exception from the app: sends a 500 response (unless one has started) and re-raises.

    ``ClientDisconnect`` is not an error: it ends the call quietly, with no response and nothing re-raised. Only
    HTTP is handled; other scopes pass straight through.
    """

    def __init__(self, app: ASGIApp, handler: ExceptionHandler | None = None, debug: bool = False) -> None:
        self.app = app
        self.handler = handler
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # A tracker of its own (what track_response_start(send) returns for any send this outermost layer gets,
        # apart from an unused tracker it would reuse, which sees the same messages), without that call's frame.
        tracking_send = TrackingSend(send)
        try:
            await self.app(scope, receive, tracking_send.forward)
        except ClientDisconnect:
            # The client has gone: no one to answer and no server error to log (see the module docstring).
            return
        except Exception as exc:
            if is_group_of(exc, ClientDisconnect):
                # The same, met by tasks of the app's own (a task group raises what its tasks raise in a group).
                return
            await self._respond(exc, scope, receive, send, tracking_send.response_started)
            # Re-raise always: the server logs it, and a test client can raise it in the test.
            raise

    async def _respond(self, exc: Exception, scope: Scope, receive: Receive, send: Send, started: bool) -> None:
        """Build the error response for ``exc`` and send it unless the response has already started."""
        request = Request(scope)
        response: Response
        if self.debug:
            response = self.debug_response(request, exc)
        elif self.handler is None:
            response = self.error_response(request, exc)
        elif is_async_callable(self.handler):
            response = await self.handler(request, exc)
        else:
            response = await run_in_threadpool(self.handler, request, exc)  # type: ignore[arg-type]

        if not started:
            await response(scope, receive, send)

    def format_line(self, index: int, line: str, frame_lineno: int, frame_index: int) -> str:
        values = {
            # Source lines may contain "<" and ">"; spaces are kept visible in the nowrap paragraph.
            "line": _escape(line).replace(" ", "&nbsp;"),
            "lineno": (frame_lineno - frame_index) + index,
        }
        if index == frame_index:
            return CENTER_LINE.format(**values)
        return LINE.format(**values)

    def generate_frame_html(self, frame: inspect.FrameInfo, is_collapsed: bool) -> str:
        frame_index = frame.index if frame.index is not None else 0
        code_context = "".join(
            self.format_line(index, line, frame.lineno, frame_index)
            for index, line in enumerate(frame.code_context or [])
        )
        return FRAME_TEMPLATE.format(
            # File and function names can contain "<" and ">" too (e.g. "<stdin>", "<lambda>").
            frame_filename=_escape(frame.filename),
            frame_lineno=frame.lineno,
            frame_name=_escape(frame.function),
            code_context=code_context,
            collapsed="collapsed" if is_collapsed else "",
            collapse_button="+" if is_collapsed else "&#8210;",
        )

    def generate_html(self, exc: Exception, limit: int = 7) -> str:
        """The debug page: ``limit`` is how many source lines to show around each frame's current line."""
        exc_html = ""
        if exc.__traceback__ is not None:
            # Innermost frame first, expanded; the others collapsed.
            _lazy.load("inspect")
            frames = inspect.getinnerframes(exc.__traceback__, limit)
            is_collapsed = False
            for frame in reversed(frames):
                exc_html += self.generate_frame_html(frame, is_collapsed)
                is_collapsed = True

        try:
            message = str(exc)
        except Exception:  # an exception whose __str__ fails must not break the error page
            message = "<exception str() failed>"
        error = f"{_escape(type(exc).__name__)}: {_escape(message)}"
        return TEMPLATE.format(styles=STYLES, js=JS, error=error, exc_html=exc_html)

    def generate_plain_text(self, exc: Exception) -> str:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def debug_response(self, request: Request, exc: Exception) -> Response:
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            return HTMLResponse(self.generate_html(exc), status_code=500)
        return PlainTextResponse(self.generate_plain_text(exc), status_code=500)

    def error_response(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Internal Server Error", status_code=500)
