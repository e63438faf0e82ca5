"""Redirects that rebuild the request's URL keep a query string that is not UTF-8 byte for byte (``%FF`` for the
byte 0xFF): upstream fails them with UnicodeDecodeError (a 500); reading the bytes as latin-1 text would send
``%C3%BF``, another query."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.responses import PlainTextResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette_middleware.trustedhost import TrustedHostMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Route


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


def page(request: Any) -> PlainTextResponse:
    return PlainTextResponse("page")


APPS: dict[str, tuple[Callable[[], ASGIApp], str]] = {
    "redirect_slashes": (lambda: Starlette(routes=[Route("/a/", page)]), "http://example.com/a/"),
    "HTTPSRedirectMiddleware": (lambda: HTTPSRedirectMiddleware(ok), "https://example.com/a"),
    "TrustedHostMiddleware www": (
        lambda: TrustedHostMiddleware(ok, allowed_hosts=["www.example.com"]),
        "http://www.example.com/a",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", APPS)
@pytest.mark.parametrize(
    ("query_string", "location_query"),
    [
        (b"q=\xff", "q=%FF"),
        (b"q=\xe9t\xe9&r=1", "q=%E9t%E9&r=1"),
        (b"q=%C3%A9", "q=%C3%A9"),  # escapes stay as sent
        ("q=\u00e9".encode(), "q=%C3%A9"),  # UTF-8 bytes: the same bytes, escaped
    ],
)
async def test_the_location_carries_the_query_bytes(name: str, query_string: bytes, location_query: str) -> None:
    make_app, location = APPS[name]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/a",
        "raw_path": b"/a",
        "root_path": "",
        "query_string": query_string,
        "headers": [(b"host", b"example.com")],
        "server": ("example.com", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await make_app()(scope, receive, send)
    assert sent[0]["status"] in (307, 308)
    assert dict(sent[0]["headers"])[b"location"] == f"{location}?{location_query}".encode()
