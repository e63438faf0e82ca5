"""TrustedHostMiddleware against malformed Host headers: an allowed host name followed by anything but an
all-digit port, or an IPv6 literal that is not bracketed and complete, is a 400 like any unknown host.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.types import Receive, Scope, Send
from starlette_middleware.trustedhost import TrustedHostMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope


class Downstream:
    """The protected app: remembers the Host header of every request that reached it."""

    def __init__(self) -> None:
        self.hosts: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.hosts.append(dict(scope["headers"])[b"host"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"OK"})


async def request(allowed_hosts: Sequence[str], host: bytes, www_redirect: bool = True) -> tuple[Recorder, bool]:
    """The response to a request with this Host header, and whether the app behind the middleware saw it."""
    downstream = Downstream()
    middleware = TrustedHostMiddleware(downstream, allowed_hosts=allowed_hosts, www_redirect=www_redirect)
    sent = Recorder()
    await middleware(http_scope(headers=[(b"host", host)]), disconnected_receiver(), sent)
    assert downstream.hosts in ([], [host])
    return sent, bool(downstream.hosts)


def assert_rejected(sent: Recorder, reached_app: bool) -> None:
    assert not reached_app
    assert (sent.start["status"], sent.body) == (400, b"Invalid host header")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "host",
    [
        b"example.com:80@evil.com",
        b"example.com:<script>",
        b"example.com:80:80",
        b"example.com:",
        b"example.com: 80",
        b"example.com:80 ",
        b"example.com:+80",
        b"example.com:-1",
        b"example.com:0x50",
        # Characters that str.isdigit() takes for digits: superscripts (latin-1) and other scripts (UTF-8 bytes).
        b"example.com:\xb2",
        "example.com:\u0661".encode(),
        b"example.com\x00",
        b"example.com[::1]",
        # Ports past the highest TCP port (request.url ignores such a header too).
        b"example.com:65536",
        b"example.com:0065536",
        b"example.com:99999999999999999999",
    ],
)
async def test_an_allowed_name_with_a_bad_port_is_a_400(host: bytes) -> None:
    assert_rejected(*await request(["example.com"], host))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "host",
    [
        b"[::1]evil.example.com",
        b"[::1]@attacker",
        b"[::1]:evil",
        b"[::1]:",
        b"[::1]]",
        b"[::1]:80]",
        b"[::1",
        b"::1",
        b"[::1]:65536",
    ],
)
async def test_an_ipv6_literal_must_be_bracketed_and_complete(host: bytes) -> None:
    assert_rejected(*await request(["[::1]", "*.example.com"], host))


@pytest.mark.anyio
@pytest.mark.parametrize("host", [b"api.example.com:80@evil.com", b"api.example.com:<x>", b"[x.example.com"])
async def test_a_wildcard_name_with_a_bad_port_is_a_400(host: bytes) -> None:
    assert_rejected(*await request(["*.example.com"], host))


@pytest.mark.anyio
@pytest.mark.parametrize("host", [b".example.com", b"x..example.com", b"...example.com", b".x.example.com:8000"])
async def test_a_wildcard_name_with_an_empty_label_is_a_400(host: bytes) -> None:
    # No host name (request.url ignores such a header and uses the server's address), so not one the wildcard allows.
    assert_rejected(*await request(["*.example.com"], host))


@pytest.mark.anyio
@pytest.mark.parametrize("host", [b"example.com:80@evil.com", b"example.com:<script>", b"Example.com:8o"])
async def test_no_www_redirect_for_a_bad_port(host: bytes) -> None:
    assert_rejected(*await request(["www.example.com"], host))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (["example.com"], b"example.com"),
        (["example.com"], b"EXAMPLE.com:8000"),
        (["example.com"], b"example.com:0080"),
        (["example.com"], b"example.com:65535"),
        (["example.com"], b"example.com:0000000000065535"),  # leading zeros, as request.url keeps them
        (["example.com"], b"example.com:0"),
        (["example.com"], b"example.com:000"),
        (["[::1]"], b"[::1]"),
        (["[::1]"], b"[::1]:8000"),
        (["*.example.com"], b"a.b.example.com:443"),
        (["*"], b"example.com:<script>"),  # "*" lets everything through, as upstream
    ],
)
async def test_well_formed_hosts_still_pass(allowed: list[str], host: bytes) -> None:
    sent, reached_app = await request(allowed, host)
    assert reached_app
    assert sent.start["status"] == 200


@pytest.mark.anyio
async def test_www_redirect_with_a_port_still_works() -> None:
    sent, reached_app = await request(["www.example.com"], b"example.com:8080")
    assert not reached_app
    assert sent.start["status"] == 307
    assert sent.headers[b"location"] == b"http://www.example.com:8080/"


@pytest.mark.anyio
async def test_no_www_redirect_for_a_host_that_urls_ignore() -> None:
    # An allowed "www." name with characters no URL host has: the Host header passes the middleware's own syntax
    # check, but request.url ignores it (and would redirect to the server's address), so no redirect: a 400.
    assert_rejected(*await request(["www.ex!ample.com"], b"ex!ample.com"))


# ------------------------------------------------------------------------------------------------------------
# Property: whatever the Host header, the request reaches the app only with an allowed name and a digits-only port
# no higher than 65535.

ALLOWED_HOST_LISTS = [
    ["example.com"],
    ["example.com", "[::1]"],
    ["*.example.com", "127.0.0.1"],
    ["www.example.com", "[::1]"],
    ["Example.COM", "*.Example.org"],
]

# Pieces that make near misses likely: allowed names, their ports, and what an attacker would put around them.
PIECES = [
    "example.com", "EXAMPLE.COM", "www.", "a.", ".example.com", ".example.org", "evil.com", "127.0.0.1",
    "[::1]", "[", "]", "::1", ":", "80", "8000", "0", "65535", "65536", "99999",
    "@", "<script>", "#", "/", "?", "\\", " ", "\t", "\x00",
    "\xb2", "\xff", "\u0661", "%2e", "*",
]  # fmt: skip

host_headers = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=6).map(lambda pieces: "".join(pieces).encode("utf-8")),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda text: text.encode("utf-8")),
)


def expected_name_and_port(host: str) -> tuple[str, str] | None:
    """The (name, port) of a well-formed ``host[:port]``: the name up to the first ':' or, for an IPv6 literal,
    everything up to its closing ']'; then nothing or ':' and ASCII digits of a number up to 65535. None when it
    is not well-formed.
    """
    if host.startswith("["):
        name, bracket, rest = host.partition("]")
        name += bracket
        if not bracket:
            return None
    else:
        name, colon, rest = host.partition(":")
        rest = colon + rest
    if rest and not (rest[0] == ":" and len(rest) > 1 and all(char in "0123456789" for char in rest[1:])):
        return None
    if rest and int(rest[1:]) > 65535:
        return None
    return name, rest[1:]


WILDCARD_NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def is_allowed(name: str, allowed_hosts: list[str]) -> bool:
    """Whether a host name is an allowed host (case aside) or a name of plain characters under an allowed wildcard."""
    name = name.lower()
    for pattern in (pattern.lower() for pattern in allowed_hosts):
        if not pattern.startswith("*."):
            if name == pattern:
                return True
        elif name.endswith(pattern[1:]) and set(name) <= WILDCARD_NAME_CHARACTERS and "" not in name.split("."):
            return True
    return False


async def check_one_host(allowed_hosts: list[str], header: bytes, www_redirect: bool) -> None:
    sent, reached_app = await request(allowed_hosts, header, www_redirect)
    parsed = expected_name_and_port(header.decode("latin-1"))
    if reached_app:
        assert parsed is not None, header
        assert is_allowed(parsed[0], allowed_hosts), header
        assert sent.start["status"] == 200
    elif sent.start["status"] == 307:
        # The only other answer: the redirect from a well-formed bare name to its allowed "www." form.
        assert www_redirect
        assert parsed is not None, header
        assert is_allowed("www." + parsed[0], allowed_hosts), header
        assert urlsplit(sent.headers[b"location"].decode("latin-1")).netloc == "www." + header.decode("latin-1")
    else:
        assert (sent.start["status"], sent.body) == (400, b"Invalid host header"), header
        assert parsed is None or not is_allowed(parsed[0], allowed_hosts), header


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(allowed_hosts=st.sampled_from(ALLOWED_HOST_LISTS), header=host_headers, www_redirect=st.booleans())
def test_only_well_formed_allowed_hosts_get_through(
    anyio_backend: str, allowed_hosts: list[str], header: bytes, www_redirect: bool
) -> None:
    anyio.run(check_one_host, allowed_hosts, header, www_redirect, backend=anyio_backend)
