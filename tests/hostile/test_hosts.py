"""Hostile ``Host`` headers: URLs built from the scope (``request.url``, ``base_url``, ``url_for``) never raise and
never let the header change anything but the authority (a header that is not a plain ``host[:port]`` is ignored
for the server's address); behind ``TrustedHostMiddleware`` only an allowed host reaches the app (else a 400, or
the redirect to the allowed ``www.`` name).
"""

from __future__ import annotations

import string
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import anyio
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._drive import HOSTILE, Answer, assert_answered, http, http_scope

PATH = "/page/some thing"  # the scope's (decoded) path, which URLs are built from
QUERY = b"q=1&r=%2F"
SERVER = ("10.1.2.3", 8080)
SERVER_NETLOC = "10.1.2.3:8080"
ALLOWED = ["www.example.com", "*.example.org", "127.0.0.1", "[::1]"]


async def page(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "url": str(request.url),
            "base_url": str(request.base_url),
            "url_for": str(request.url_for("page", name="x-y")),
            "hostname": request.url.hostname,
            "port": request.url.port,
        }
    )


routes = [Route("/page/{name}", page, name="page")]
open_app = Starlette(routes=routes)
guarded_app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=ALLOWED)])


def get(backend: str, app: Starlette, hosts: list[bytes], server: Optional[tuple[str, int]]) -> Answer:
    scope = http_scope(
        PATH,
        raw_path=b"/page/some%20thing",
        query_string=QUERY,
        headers=[(b"host", host) for host in hosts],
        server=server,
    )
    return anyio.run(http, app, scope, backend=backend)


labels = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=8)
ports = st.one_of(
    st.none(), st.integers(min_value=0, max_value=70000).map(str), st.sampled_from(["", "0x50", "²", "-1"])
)
names = st.one_of(
    st.sampled_from(
        [
            "www.example.com",
            "example.com",
            "EXAMPLE.com",
            "a.example.org",
            "example.org",
            "127.0.0.1",
            "[::1]",
            "[::1",
            "::1",
            "[fe80::1%eth0]",
            "[v1.x]",
            "localhost",
        ]
    ),
    st.lists(labels, min_size=1, max_size=4).map(".".join),
)
# Names that TrustedHostMiddleware lets through (or redirects: "example.com"), in any case, with a port or not.
trusted = st.builds(
    lambda name, upper, port: (name.upper() if upper else name) + ("" if port is None else f":{port}"),
    st.sampled_from(["www.example.com", "x.example.org", "a-b.c_d.example.org", "127.0.0.1", "[::1]", "example.com"]),
    st.booleans(),
    st.none() | st.integers(min_value=0, max_value=65535),
).map(str.encode)
well_formed = st.builds(lambda name, port: name if port is None else f"{name}:{port}", names, ports).map(str.encode)
host_headers = st.one_of(
    well_formed,
    well_formed,
    # Well-formed names with something hostile after them, and hostile characters inside them.
    st.builds(
        str.__add__,
        names,
        st.sampled_from(["@evil.com", "/evil", "?x", "#x", "\\evil", " evil", "\t", ":80@evil.com", ".evil.com#"]),
    ).map(str.encode),
    st.text(alphabet=string.ascii_letters + ".:[]@/?#\\%_- \t\r\n\x00", max_size=30).map(str.encode),
    st.binary(max_size=30),
)


def check_urls(urls: dict[str, Any], hosts: list[bytes]) -> None:
    """The built URLs carry the Host header as their authority, or the server's address, and nothing else moved."""
    url = urlsplit(urls["url"])
    header = hosts[0].decode("latin-1") if hosts else None
    assert url.netloc in (header, SERVER_NETLOC), urls
    event("netloc from the Host header" if url.netloc == header else "netloc from the server")
    assert (url.scheme, url.path, url.query, url.fragment) == ("http", PATH, QUERY.decode(), "")
    assert url.port == urls["port"]  # (reading the port of the URL does not raise)
    base = urlsplit(urls["base_url"])
    link = urlsplit(urls["url_for"])
    assert base.netloc == link.netloc == url.netloc
    assert (base.path, link.path) == ("/", "/page/x-y")


@HOSTILE
@given(hosts=st.lists(host_headers, max_size=2))
def test_urls_are_built_from_a_valid_host_or_the_server(anyio_backend: str, hosts: list[bytes]) -> None:
    answer = get(anyio_backend, open_app, hosts, SERVER)
    assert_answered(answer, {200})
    check_urls(answer.json(), hosts)


@HOSTILE
@given(hosts=st.lists(host_headers, max_size=2))
def test_without_a_server_address_urls_are_still_built(anyio_backend: str, hosts: list[bytes]) -> None:
    answer = get(anyio_backend, open_app, hosts, None)
    assert_answered(answer, {200})
    urls = answer.json()
    url = urlsplit(urls["url"])
    if url.netloc:
        assert url.netloc == hosts[0].decode("latin-1")
        check_urls(urls, hosts)
    else:
        # A relative URL: the path (and query) only, never read as an authority.
        assert (url.scheme, url.path, url.query) == ("", PATH, QUERY.decode())


def is_allowed(hostname: str) -> bool:
    """Whether a URL's ``hostname`` (lowercase, IPv6 without brackets) is one of ALLOWED."""
    return hostname in ("www.example.com", "127.0.0.1", "::1") or hostname.endswith(".example.org")


@HOSTILE
@given(hosts=st.lists(trusted | host_headers, max_size=2))
def test_only_allowed_hosts_reach_the_app(anyio_backend: str, hosts: list[bytes]) -> None:
    answer = get(anyio_backend, guarded_app, hosts, SERVER)
    assert_answered(answer, {200, 307, 400})
    event(f"status {answer.status}")
    if answer.status == 200:
        urls = answer.json()
        check_urls(urls, hosts)
        # The app's links point at an allowed host, or at the server's own address: TrustedHostMiddleware takes
        # any all-digit port (RFC 9110), URLs only a port up to 65535 ("www.example.com:65536" gets through to
        # the app, whose URLs then use the server's address).
        if urlsplit(urls["url"]).netloc != SERVER_NETLOC:
            assert is_allowed(urls["hostname"]), urls
    elif answer.status == 307:
        location = urlsplit(answer.header("location") or "")
        assert location.hostname == "www.example.com"
        assert (unquote(location.path), location.query) == (PATH, QUERY.decode())
    else:
        assert answer.body == b"Invalid host header"
