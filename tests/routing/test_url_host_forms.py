"""The ``Host`` header forms that ``request.url``, ``base_url`` and ``url_for`` keep as upstream does (written as
the client sent them): ports with leading zeros, default ports, any case, IPv6 literals with a zone, IPvFuture
literals. The forms that upstream keeps too but that could change how the URL is read, or that make reading it
raise (README "Security": a user, a path, another host, a port over 65535, brackets that are no IP literal, ...)
are ignored for the server's address, as before."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from starlette_core.datastructures import URL
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Scope
from starlette_core.websockets import WebSocket
from starlette_routing.routing import Route, Router, WebSocketRoute


def endpoint(request: Request) -> PlainTextResponse:
    return PlainTextResponse("")  # pragma: no cover


async def ws_endpoint(websocket: WebSocket) -> None:
    pass  # pragma: no cover


router = Router([Route("/x/{p}", endpoint, name="x"), WebSocketRoute("/ws", ws_endpoint, name="ws")])
SERVER = ("server.local", 8000)


def scope_with(host: Optional[str], scheme: str = "http", server: Any = SERVER, kind: str = "http") -> Scope:
    return {
        "type": kind,
        "method": "GET",
        "scheme": scheme,
        "path": "/p/a",
        "root_path": "",
        "query_string": b"q=1",
        "headers": [] if host is None else [(b"host", host.encode("latin-1"))],
        "server": server,
        "router": router,
    }


KEPT = [
    # (Host header, the hostname and the port the URL reads)
    ("example.com", "example.com", None),
    ("EXAMPLE.COM", "example.com", None),
    ("Example.Com:8080", "example.com", 8080),
    ("example.com:80", "example.com", 80),  # a default port is kept as sent
    ("example.com:443", "example.com", 443),
    ("example.com:000080", "example.com", 80),
    ("example.com:0000000000080", "example.com", 80),
    ("example.com:065535", "example.com", 65535),
    ("example.com:00", "example.com", 0),
    ("127.0.0.1:8000", "127.0.0.1", 8000),
    ("[::1]", "::1", None),
    ("[::1]:0080", "::1", 80),
    ("[::ffff:1.2.3.4]", "::ffff:1.2.3.4", None),
    ("[fe80::1%25eth0]", "fe80::1%25eth0", None),
    ("[fe80::1%eth0]:8443", "fe80::1%eth0", 8443),
    ("[v1.foo]", "v1.foo", None),
    ("[v1.foo]:80", "v1.foo", 80),
    ("[v1.foo:bar]", "v1.foo:bar", None),
    ("[vA1.a-b_c~!$&'()*+,;=]", "va1.a-b_c~!$&'()*+,;=", None),
]


@pytest.mark.parametrize(("host", "hostname", "port"), KEPT)
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("server", [SERVER, None])
def test_kept_as_upstream(host: str, hostname: str, port: Optional[int], scheme: str, server: Any) -> None:
    request = Request(scope_with(host, scheme, server))
    assert str(request.url) == f"{scheme}://{host}/p/a?q=1"
    assert str(request.base_url) == f"{scheme}://{host}/"
    assert str(request.url_for("x", p="v")) == f"{scheme}://{host}/x/v"
    assert request.url.netloc == host
    assert request.url.port == port
    assert request.url.hostname == hostname
    assert URL(str(request.url)).netloc == host


@pytest.mark.parametrize("host", [host for host, _, _ in KEPT])
def test_kept_for_websockets(host: str) -> None:
    websocket = WebSocket(scope_with(host, "wss", kind="websocket"), receive=None, send=None)  # type: ignore[arg-type]
    assert str(websocket.url) == f"wss://{host}/p/a?q=1"
    assert str(websocket.url_for("ws")) == f"wss://{host}/ws"


IGNORED = [
    "",  # upstream: "http:///p/a"
    " ",
    "example.com:",  # an empty port: not a well-formed host[:port] for TrustedHostMiddleware either
    "example.com:65536",  # upstream keeps these, but reading their port raises
    "example.com:99999",
    "example.com:" + "0" * 10 + "65536",
    "example.com::80",
    "example.com:8o",
    "example.com:+80",
    "example.com:\xb2",
    "::1",
    "[::1]:80:80",
    "[V1.FOO]",  # urlsplit takes IPvFuture with a lowercase "v" only: upstream's url_for raises
    "[vz.foo]",
    "[v1.]",
    "[v.foo]",
    "[1::2::3]",
    "[]",
    "[::1",
    "[[::1]]",
    "[1.2.3.4]",
    "[fe80::1%]",
    "[fe80::1%eth0/x]",
    "[v1.foo/x]",  # these would move the path, the user or the host
    "[v1.foo@evil.com]",
    "[::1]evil",
    "[::1]]",
    "example.com:80@evil.com",
    "user@example.com",
    "example.com/path",
    "example.com?x",
    "example.com#x",
    "example.com\\evil",
    "exa mple.com",
    "example.com\t",
    "*",  # other characters than a DNS name's (README "Security")
    "%65xample.com",
    "ex!ample.com",
    "a..b",
    "b\xfccher.example",
]


@pytest.mark.parametrize("host", IGNORED)
def test_ignored_for_the_server(host: str) -> None:
    request = Request(scope_with(host))
    assert str(request.url) == "http://server.local:8000/p/a?q=1"
    assert str(request.base_url) == "http://server.local:8000/"
    assert str(request.url_for("x", p="v")) == "http://server.local:8000/x/v"
    request = Request(scope_with(host, server=None))
    assert str(request.url) == "/p/a?q=1"
