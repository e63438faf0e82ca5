from __future__ import annotations

import io
import tempfile
from typing import Any, BinaryIO

import anyio
import pytest

from starlette_core.datastructures import (
    URL,
    Address,
    CommaSeparatedStrings,
    FormData,
    Headers,
    ImmutableMultiDict,
    MultiDict,
    MutableHeaders,
    QueryParams,
    Secret,
    State,
    UploadFile,
    URLPath,
)
from starlette_core.types import Scope

# ---------------------------------------------------------------------------------------------------------------------
# URL from a string
# ---------------------------------------------------------------------------------------------------------------------


def test_url_components() -> None:
    url = URL("https://example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.scheme == "https"
    assert url.hostname == "example.org"
    assert url.port == 123
    assert url.netloc == "example.org:123"
    assert url.username is None
    assert url.password is None
    assert url.path == "/path/to/somewhere"
    assert url.query == "abc=123"
    assert url.fragment == "anchor"
    assert url.components.geturl() == str(url)
    assert url.components is url.components  # parsed once


def test_url_userinfo() -> None:
    url = URL("https://user:secret@example.org/")
    assert url.username == "user"
    assert url.password == "secret"
    assert url.hostname == "example.org"
    assert url.port is None


@pytest.mark.parametrize(
    ("url", "secure"),
    [("https://a.org", True), ("wss://a.org", True), ("http://a.org", False), ("ws://a.org", False), ("/x", False)],
)
def test_url_is_secure(url: str, secure: bool) -> None:
    assert URL(url).is_secure is secure


def test_url_replace() -> None:
    url = URL("https://example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.replace(scheme="http") == "http://example.org:123/path/to/somewhere?abc=123#anchor"
    assert url.replace(path="/new") == "https://example.org:123/new?abc=123#anchor"
    assert url.replace(query="a=b") == "https://example.org:123/path/to/somewhere?a=b#anchor"
    assert url.replace(fragment="") == "https://example.org:123/path/to/somewhere?abc=123"
    assert url.replace(netloc="other.net") == "https://other.net/path/to/somewhere?abc=123#anchor"
    assert url.replace(port=None) == "https://example.org/path/to/somewhere?abc=123#anchor"
    assert url.replace(port=8000) == "https://example.org:8000/path/to/somewhere?abc=123#anchor"
    assert url.replace(hostname="sub.example.org") == "https://sub.example.org:123/path/to/somewhere?abc=123#anchor"
    assert url.replace(username="u") == "https://u@example.org:123/path/to/somewhere?abc=123#anchor"
    assert url.replace(username="u", password="p") == "https://u:p@example.org:123/path/to/somewhere?abc=123#anchor"
    # The original is unchanged and the result is a URL.
    assert str(url) == "https://example.org:123/path/to/somewhere?abc=123#anchor"
    assert isinstance(url.replace(scheme="http"), URL)


def test_url_replace_keeps_existing_userinfo_and_port() -> None:
    url = URL("http://user:pw@example.org:81/a")
    assert url.replace(hostname="b.org") == "http://user:pw@b.org:81/a"
    assert url.replace(password="new") == "http://user:new@example.org:81/a"
    assert url.replace(port=82) == "http://user:pw@example.org:82/a"


def test_url_replace_password_without_username_is_dropped() -> None:
    # A password alone cannot be written into a netloc.
    assert URL("http://example.org/a").replace(password="p") == "http://example.org/a"


def test_url_replace_ipv6_host() -> None:
    url = URL("http://[::1]:8000/a")
    assert url.hostname == "::1"
    assert url.replace(port=9000) == "http://[::1]:9000/a"
    assert URL("http://[::1]/a").replace(username="u") == "http://u@[::1]/a"


def test_url_replace_host_on_relative_url() -> None:
    assert URL("/path").replace(hostname="example.org", scheme="http") == "http://example.org/path"
    assert URL("/path").replace(port=8080, hostname="example.org") == "//example.org:8080/path"


def test_url_query_params() -> None:
    url = URL("https://example.org/path/?page=3")
    assert url.include_query_params(page=4) == "https://example.org/path/?page=4"
    assert url.include_query_params(search="x") == "https://example.org/path/?page=3&search=x"
    assert url.replace_query_params(order="name") == "https://example.org/path/?order=name"
    assert url.remove_query_params("page") == "https://example.org/path/"


def test_url_query_params_keep_blank_values_and_repeats() -> None:
    url = URL("http://a/?x=1&x=2&empty=&y=3")
    assert url.include_query_params(z=True) == "http://a/?x=1&x=2&empty=&y=3&z=True"
    assert url.remove_query_params(["x", "y", "missing"]) == "http://a/?empty="
    assert url.include_query_params(x=9) == "http://a/?empty=&y=3&x=9"


def test_url_replace_credentials_or_port_without_a_host() -> None:
    # (Upstream raises IndexError.) The URL with those parts, as urlsplit reads them back.
    url = URL("/relative?x=1")
    assert url.replace(port=81) == "//:81/relative?x=1"
    assert url.replace(port=81).port == 81
    assert url.replace(username="u") == "//u@/relative?x=1"
    assert url.replace(port=None) == "/relative?x=1"


def test_url_equality_and_hash() -> None:
    url = URL("http://example.org/")
    assert url == URL("http://example.org/")
    assert url == "http://example.org/"
    assert url != URL("http://example.org/other")
    assert url != 123
    assert url != b"http://example.org/"
    assert hash(url) == hash(URL("http://example.org/"))
    assert len({url, URL("http://example.org/"), URL("http://example.org/x")}) == 2


def test_url_repr_hides_password() -> None:
    assert repr(URL("http://example.org/")) == "URL('http://example.org/')"
    assert repr(URL("http://user:secret@example.org/")) == "URL('http://user:********@example.org/')"
    assert "secret" not in repr(URL("http://user:secret@example.org/"))


def test_url_from_components() -> None:
    url = URL(scheme="https", netloc="example.org", path="/a", query="b=1", fragment="c")
    assert url == "https://example.org/a?b=1#c"
    assert URL(path="/only") == "/only"


def test_url_rejects_url_with_components_or_scope() -> None:
    with pytest.raises(AssertionError):
        URL("http://a/", path="/b")
    with pytest.raises(AssertionError):
        URL("http://a/", scope=make_scope())
    with pytest.raises(AssertionError):
        URL(scope=make_scope(), path="/b")


def test_empty_url() -> None:
    url = URL()
    assert str(url) == ""
    assert url.path == ""
    assert url.hostname is None


# ---------------------------------------------------------------------------------------------------------------------
# URL from an ASGI scope
# ---------------------------------------------------------------------------------------------------------------------


def make_scope(**overrides: Any) -> Scope:
    scope: Scope = {
        "type": "http",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    scope.update(overrides)
    return scope


def test_url_from_scope_uses_host_header() -> None:
    scope = make_scope(path="/path/to/somewhere", query_string=b"abc=123", headers=[(b"host", b"example.org:8000")])
    url = URL(scope=scope)
    assert url == "http://example.org:8000/path/to/somewhere?abc=123"
    assert url.hostname == "example.org"
    assert url.port == 8000


def test_url_from_scope_first_host_header_wins() -> None:
    scope = make_scope(headers=[(b"accept", b"*/*"), (b"host", b"first.org"), (b"host", b"second.org")])
    assert URL(scope=scope) == "http://first.org/"


@pytest.mark.parametrize(
    ("server", "scheme", "expected"),
    [
        (("example.org", 80), "http", "http://example.org/p"),
        (("example.org", 443), "https", "https://example.org/p"),
        (("example.org", 80), "ws", "ws://example.org/p"),
        (("example.org", 443), "wss", "wss://example.org/p"),
        (("example.org", 8080), "http", "http://example.org:8080/p"),
        (("example.org", 443), "http", "http://example.org:443/p"),
        (("example.org", 80), "https", "https://example.org:80/p"),
        (("127.0.0.1", 8000), "http", "http://127.0.0.1:8000/p"),
        (("::1", 8000), "http", "http://[::1]:8000/p"),
        (["example.org", 8000], "http", "http://example.org:8000/p"),
        (("example.org", None), "http", "http://example.org/p"),
        (("example.org", 8000), "custom", "custom://example.org:8000/p"),
    ],
)
def test_url_from_scope_without_host_header_uses_server(server: Any, scheme: str, expected: str) -> None:
    assert URL(scope=make_scope(server=server, scheme=scheme, path="/p")) == expected


def test_url_from_scope_ipv6_server_hostname() -> None:
    url = URL(scope=make_scope(server=("::1", 8000)))
    assert url.hostname == "::1"
    assert url.port == 8000


def test_url_from_scope_without_host_or_server() -> None:
    url = URL(scope=make_scope(server=None, path="/p", query_string=b"a=1"))
    assert url == "/p?a=1"
    assert url.hostname is None


def test_url_from_scope_defaults_scheme_and_query() -> None:
    scope: Scope = {"type": "http", "path": "/x", "headers": [(b"host", b"example.org")]}
    assert URL(scope=scope) == "http://example.org/x"


def test_url_from_scope_unix_socket_server_is_not_a_host() -> None:
    # A server bound to a unix socket reports (path, None): it is no host name.
    assert URL(scope=make_scope(server=("/tmp/app.sock", None), path="/p")) == "/p"
    assert URL(scope=make_scope(server=(None, None), path="/p")) == "/p"


def test_url_from_scope_path_includes_root_path() -> None:
    # Per the ASGI spec scope["path"] already contains root_path: the URL is the full URL the client used.
    scope = make_scope(root_path="/api", path="/api/users", headers=[(b"host", b"example.org")])
    assert URL(scope=scope) == "http://example.org/api/users"


def test_url_from_scope_non_utf8_query_string() -> None:
    # Bytes that are not UTF-8: those over 0x7F %-escaped (upstream raises UnicodeDecodeError), the rest as sent.
    url = URL(scope=make_scope(query_string=b"a=\xff&b=%41+c\x80&\xe9t\xe9", headers=[(b"host", b"example.org")]))
    assert url.query == "a=%FF&b=%41+c%80&%E9t%E9"
    assert url.hostname == "example.org"


def test_url_from_scope_utf8_query_string_kept_as_text() -> None:
    url = URL(scope=make_scope(query_string="q=caf\u00e9".encode(), headers=[(b"host", b"example.org")]))
    assert url.query == "q=caf\u00e9"


@pytest.mark.parametrize(
    "host",
    [
        "example.org",
        "example.org:8000",
        "EXAMPLE.org",
        "localhost",
        "my_host.internal",
        "xn--bcher-kva.example",
        "example.org.",
        "127.0.0.1",
        "127.0.0.1:65535",
        "example.org:0",
        "[::1]",
        "[::1]:8000",
        "[2001:db8::ff00:42:8329]:443",
        "[::ffff:192.0.2.1]",
    ],
)
def test_url_from_scope_accepts_valid_host_headers(host: str) -> None:
    url = URL(scope=make_scope(path="/p", headers=[(b"host", host.encode("latin-1"))]))
    assert str(url) == f"http://{host}/p"
    # Every component of an accepted host can be read without error.
    assert url.hostname
    assert url.port is None or 0 <= url.port <= 65535
    assert URL(str(url)).netloc == host


@pytest.mark.parametrize(
    "host",
    [
        "evil.com/x",
        "evil.com/",
        "user@evil.com",
        "example.org@evil.com",
        "evil.com?x",
        "evil.com#x",
        "evil.com\\x",
        "evil .com",
        " evil.com",
        "evil.com:",
        "evil.com:80:80",
        "evil.com:abc",
        "evil.com:123456",
        "evil.com:65536",
        "evil.com:99999",
        "[1.2.3]",
        "[127.0.0.1]",
        "[::1::2]",
        "[:::]",
        "",
        ":80",
        ".evil.com",
        "evil..com",
        "[::1",
        "::1",
        "[evil.com]",
        "ex\tample.org",
        "example.org\r\nx",
        "\xe9vil.com",
        "evil.com%2f",
    ],
)
def test_url_from_scope_ignores_invalid_host_headers(host: str) -> None:
    scope = make_scope(server=("server.local", 8000), path="/p", headers=[(b"host", host.encode("latin-1"))])
    url = URL(scope=scope)
    assert str(url) == "http://server.local:8000/p"
    assert url.hostname == "server.local"


def test_url_from_scope_invalid_host_header_and_no_server() -> None:
    url = URL(scope=make_scope(server=None, path="/p", headers=[(b"host", b"evil.com/x?")]))
    assert str(url) == "/p"
    assert url.hostname is None


def test_url_from_scope_invalid_server_host_is_ignored() -> None:
    assert URL(scope=make_scope(server=("evil.com/x@", 80), path="/p")) == "/p"
    assert URL(scope=make_scope(server=("1:2:3", 80), path="/p")) == "/p"
    assert URL(scope=make_scope(server=("example.org", 70000), path="/p")) == "/p"


@pytest.mark.parametrize(
    "path", ["@evil.com/x", "@evil.com", "evil.com", "//evil.com", "//evil.com/x", "http://evil.com/"]
)
@pytest.mark.parametrize(
    "where",
    [
        {"headers": [(b"host", b"example.org")]},
        {"headers": [], "server": ("example.org", 80)},
    ],
)
def test_url_from_scope_path_cannot_choose_host(path: str, where: dict[str, Any]) -> None:
    url = URL(scope=make_scope(path=path, **where))
    assert url.hostname == "example.org"
    assert url.netloc == "example.org"
    assert url.scheme == "http"
    assert url.path.startswith("/")
    # Re-parsing the string form (as redirects and url_for do) gives the same host.
    assert URL(str(url)).hostname == "example.org"


def test_url_from_scope_path_without_leading_slash_gets_one() -> None:
    assert (
        URL(scope=make_scope(path="@evil.com/x", headers=[(b"host", b"example.org")]))
        == "http://example.org/@evil.com/x"
    )


@pytest.mark.parametrize(
    "path",
    ["@evil.com/x", "//evil.com", "///evil.com/x", "/\t/evil.com", "/\n/evil.com", "\r//evil.com", "http://evil.com/"],
)
def test_url_from_scope_without_host_path_cannot_choose_host(path: str) -> None:
    url = URL(scope=make_scope(server=None, path=path))
    assert url.hostname is None
    assert url.netloc == ""
    assert url.scheme == ""
    assert URL(str(url)).hostname is None
    assert "evil.com" in url.path


def test_url_from_scope_empty_path() -> None:
    assert URL(scope=make_scope(path="", headers=[(b"host", b"example.org")])) == "http://example.org"


def test_url_from_scope_hostile_host_with_hostile_path() -> None:
    scope = make_scope(server=None, path="//evil.com/x", headers=[(b"host", b"a@evil.com")])
    assert URL(scope=scope).hostname is None


# ---------------------------------------------------------------------------------------------------------------------
# URLPath
# ---------------------------------------------------------------------------------------------------------------------


def test_url_path_is_a_str() -> None:
    path = URLPath("/users/1", protocol="http", host="example.org")
    assert path == "/users/1"
    assert isinstance(path, str)
    assert path.protocol == "http"
    assert path.host == "example.org"
    assert URLPath("/x").protocol == ""
    assert URLPath("/x").host == ""


def test_url_path_rejects_unknown_protocol() -> None:
    with pytest.raises(AssertionError):
        URLPath("/x", protocol="ftp")


@pytest.mark.parametrize(
    ("protocol", "base", "expected"),
    [
        ("http", "http://example.org", "http://example.org/x"),
        ("http", "https://example.org", "https://example.org/x"),
        ("http", "ws://example.org", "http://example.org/x"),
        ("http", "wss://example.org", "https://example.org/x"),
        ("websocket", "http://example.org", "ws://example.org/x"),
        ("websocket", "https://example.org", "wss://example.org/x"),
        ("", "https://example.org/", "https://example.org/x"),
        ("", "ws://example.org:8000/root/", "ws://example.org:8000/root/x"),
        ("http", "http://example.org/root", "http://example.org/root/x"),
    ],
)
def test_url_path_make_absolute_url(protocol: str, base: str, expected: str) -> None:
    url = URLPath("/x", protocol=protocol).make_absolute_url(base_url=base)
    assert isinstance(url, URL)
    assert str(url) == expected
    assert URLPath("/x", protocol=protocol).make_absolute_url(base_url=URL(base)) == expected


def test_url_path_make_absolute_url_with_host() -> None:
    url = URLPath("/x", protocol="http", host="api.example.org").make_absolute_url("https://example.org/root/")
    assert url == "https://api.example.org/root/x"


# ---------------------------------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------------------------------


def test_headers_from_raw() -> None:
    h = Headers(raw=[(b"a", b"123"), (b"a", b"456"), (b"b", b"789")])
    assert "a" in h
    assert "A" in h
    assert "b" in h
    assert "B" in h
    assert "c" not in h
    assert h["a"] == "123"
    assert h["A"] == "123"
    assert h.get("a") == "123"
    assert h.get("nope") is None
    assert h.getlist("a") == ["123", "456"]
    assert h.getlist("A") == ["123", "456"]
    assert h.getlist("nope") == []
    assert h.keys() == ["a", "a", "b"]
    assert h.values() == ["123", "456", "789"]
    assert h.items() == [("a", "123"), ("a", "456"), ("b", "789")]
    assert list(h) == ["a", "a", "b"]
    assert dict(h) == {"a": "123", "b": "789"}
    assert len(h) == 3
    assert repr(h) == "Headers(raw=[(b'a', b'123'), (b'a', b'456'), (b'b', b'789')])"
    assert h == Headers(raw=[(b"a", b"123"), (b"b", b"789"), (b"a", b"456")])
    assert h != [(b"a", b"123"), (b"a", b"456"), (b"b", b"789")]
    assert h.raw == [(b"a", b"123"), (b"a", b"456"), (b"b", b"789")]


def test_headers_get() -> None:
    h = Headers(raw=[(b"a", b"1"), (b"a", b"2"), (b"empty", b"")])
    assert h.get("A") == "1"
    assert h.get("empty") == ""
    assert h.get("empty", "default") == ""
    assert h.get("missing") is None
    assert h.get("missing", "default") == "default"
    assert h.get("missing", default="by keyword") == "by keyword"  # type: ignore[call-overload]
    assert h.get("\u20ac", "default") == "default"


def test_headers_missing_key_raises_key_error_with_the_key() -> None:
    with pytest.raises(KeyError) as info:
        Headers()["X-Missing"]
    assert info.value.args == ("X-Missing",)


def test_headers_from_mapping() -> None:
    h = Headers({"Content-Type": "text/plain", "X-Custom": "caf\xe9"})
    assert h.raw == [(b"content-type", b"text/plain"), (b"x-custom", b"caf\xe9")]
    assert h["content-type"] == "text/plain"
    assert h["X-CUSTOM"] == "caf\xe9"
    assert repr(h) == "Headers({'content-type': 'text/plain', 'x-custom': 'caf\xe9'})"


def test_headers_empty() -> None:
    h = Headers()
    assert len(h) == 0
    assert h.raw == []
    assert "a" not in h
    assert repr(h) == "Headers({})"


def test_headers_latin1_values() -> None:
    h = Headers(raw=[(b"x-name", "Jos\xe9".encode("latin-1"))])
    assert h["x-name"] == "Jos\xe9"


def test_headers_key_outside_latin1() -> None:
    h = Headers(raw=[(b"a", b"1")])
    assert "\u20ac" not in h
    assert h.get("\u20ac") is None
    assert h.getlist("\u20ac") == []
    with pytest.raises(KeyError):
        h["\u20ac"]


def test_headers_raw_keys_are_matched_exactly_lowercased() -> None:
    # Lookups lower-case the key; raw header names are expected to be lower-case already (ASGI).
    h = Headers(raw=[(b"X-Upper", b"1")])
    assert "x-upper" not in h
    assert h.keys() == ["X-Upper"]


def test_headers_rejects_several_sources() -> None:
    with pytest.raises(AssertionError):
        Headers(headers={"a": "b"}, raw=[])
    with pytest.raises(AssertionError):
        Headers(headers={"a": "b"}, scope={"headers": []})
    with pytest.raises(AssertionError):
        Headers(raw=[], scope={"headers": []})


def test_headers_from_scope_shares_the_list() -> None:
    scope: Scope = {"headers": ((b"a", b"1"),)}
    h = Headers(scope=scope)
    assert isinstance(scope["headers"], list)
    assert scope["headers"] is h.raw
    assert h["a"] == "1"


def test_headers_are_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(Headers())


def test_headers_see_changes_to_the_shared_raw_list() -> None:
    raw = [(b"a", b"1")]
    h = Headers(raw=raw)
    assert h["a"] == "1"
    raw.append((b"b", b"2"))
    assert h["b"] == "2"
    raw[0] = (b"a", b"changed")
    assert h["a"] == "changed"
    del raw[0]
    assert "a" not in h
    with pytest.raises(KeyError):
        h["a"]


def test_headers_see_changes_made_through_mutable_headers_on_the_same_scope() -> None:
    scope: Scope = {"headers": [(b"a", b"1")]}
    h = Headers(scope=scope)
    assert h["a"] == "1"
    mutable = MutableHeaders(raw=scope["headers"])
    mutable["a"] = "2"
    assert h["a"] == "2"


def test_headers_mutablecopy_is_independent() -> None:
    h = Headers(raw=[(b"a", b"1")])
    copy = h.mutablecopy()
    assert isinstance(copy, MutableHeaders)
    copy["a"] = "2"
    copy["b"] = "3"
    assert h["a"] == "1"
    assert "b" not in h
    assert copy.items() == [("a", "2"), ("b", "3")]


# ---------------------------------------------------------------------------------------------------------------------
# MutableHeaders
# ---------------------------------------------------------------------------------------------------------------------


def test_mutable_headers_setitem() -> None:
    h = MutableHeaders()
    h["A"] = "1"
    assert h.raw == [(b"a", b"1")]
    h["a"] = "2"
    assert h.raw == [(b"a", b"2")]
    h["b"] = "3"
    assert h.raw == [(b"a", b"2"), (b"b", b"3")]


def test_mutable_headers_setitem_replaces_every_value_in_first_position() -> None:
    h = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"2"), (b"a", b"3"), (b"a", b"4")])
    h["a"] = "x"
    assert h.raw == [(b"a", b"x"), (b"b", b"2")]


def test_mutable_headers_delitem() -> None:
    h = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"2"), (b"a", b"3")])
    del h["A"]
    assert h.raw == [(b"b", b"2")]
    del h["missing"]  # no error
    assert h.raw == [(b"b", b"2")]


def test_mutable_headers_append() -> None:
    h = MutableHeaders({"a": "1"})
    h.append("A", "2")
    assert h.getlist("a") == ["1", "2"]
    assert h["a"] == "1"


def test_mutable_headers_setdefault() -> None:
    h = MutableHeaders({"a": "1"})
    assert h.setdefault("A", "2") == "1"
    assert h.setdefault("b", "3") == "3"
    assert h.raw == [(b"a", b"1"), (b"b", b"3")]


def test_mutable_headers_update() -> None:
    h = MutableHeaders(raw=[(b"a", b"1"), (b"a", b"2")])
    h.update({"A": "x", "c": "y"})
    assert h.raw == [(b"a", b"x"), (b"c", b"y")]


def test_mutable_headers_or_operators() -> None:
    h = MutableHeaders({"a": "1"})
    merged = h | {"b": "2"}
    assert isinstance(merged, MutableHeaders)
    assert merged.items() == [("a", "1"), ("b", "2")]
    assert h.items() == [("a", "1")]
    original = h
    h |= {"a": "3"}
    assert h is original
    assert h.items() == [("a", "3")]
    with pytest.raises(TypeError, match="Expected a mapping but got list"):
        h | [("a", "b")]  # type: ignore[operator]
    with pytest.raises(TypeError, match="Expected a mapping but got str"):
        h |= "a"  # type: ignore[arg-type]


def test_mutable_headers_add_vary_header() -> None:
    h = MutableHeaders()
    h.add_vary_header("Origin")
    assert h["vary"] == "Origin"
    h.add_vary_header("Accept-Encoding")
    assert h["vary"] == "Origin, Accept-Encoding"
    assert h.getlist("vary") == ["Origin, Accept-Encoding"]


def test_mutable_headers_over_scope_writes_scope_headers() -> None:
    scope: Scope = {"headers": ((b"a", b"1"),)}
    h = MutableHeaders(scope=scope)
    h["b"] = "2"
    h.append("c", "3")
    h.setdefault("d", "4")
    del h["a"]
    h.update({"e": "5"})
    h.add_vary_header("Origin")
    assert scope["headers"] == [(b"b", b"2"), (b"c", b"3"), (b"d", b"4"), (b"e", b"5"), (b"vary", b"Origin")]
    assert scope["headers"] is h.raw


def test_mutable_headers_over_message_raw_writes_message() -> None:
    message: dict[str, Any] = {"type": "http.response.start", "status": 200, "headers": [(b"a", b"1")]}
    h = MutableHeaders(raw=message["headers"])
    h["content-length"] = "0"
    del h["a"]
    assert message["headers"] == [(b"content-length", b"0")]


def test_mutable_headers_lookup_after_mutation() -> None:
    h = MutableHeaders({"a": "1"})
    assert h["a"] == "1"
    h["a"] = "2"
    assert h["a"] == "2"
    del h["a"]
    assert "a" not in h
    h.append("a", "3")
    assert h["a"] == "3"


# ---------------------------------------------------------------------------------------------------------------------
# QueryParams
# ---------------------------------------------------------------------------------------------------------------------


def test_query_params_from_string() -> None:
    q = QueryParams("a=123&a=456&b=789")
    assert "a" in q
    assert "A" not in q
    assert "c" not in q
    assert q["a"] == "456"
    assert q["b"] == "789"
    assert q.get("a") == "456"
    assert q.get("nope") is None
    assert q.getlist("a") == ["123", "456"]
    assert list(q.keys()) == ["a", "b"]
    assert list(q.values()) == ["456", "789"]
    assert list(q.items()) == [("a", "456"), ("b", "789")]
    assert q.multi_items() == [("a", "123"), ("a", "456"), ("b", "789")]
    assert len(q) == 2
    assert list(q) == ["a", "b"]
    assert dict(q) == {"a": "456", "b": "789"}
    assert str(q) == "a=123&a=456&b=789"
    assert repr(q) == "QueryParams('a=123&a=456&b=789')"
    assert q == QueryParams("a=123&b=789&a=456")
    assert q != QueryParams("a=123&b=789")
    assert QueryParams({"a": "123", "b": "456"}) == QueryParams([("a", "123"), ("b", "456")])
    assert QueryParams({"a": "123", "b": "456"}) == QueryParams({"b": "456", "a": "123"})
    assert QueryParams() == QueryParams({})
    assert QueryParams([("a", "123"), ("a", "456")]) == QueryParams("a=123&a=456")
    assert QueryParams({"a": "123", "b": "456"}) != "invalid"


def test_query_params_decoding_and_blank_values() -> None:
    q = QueryParams("a=%20x+y&b=&c&d=caf%C3%A9")
    assert q["a"] == " x y"
    assert q["b"] == ""
    assert q["c"] == ""
    assert q["d"] == "caf\xe9"
    assert str(q) == "a=+x+y&b=&c=&d=caf%C3%A9"


def test_query_params_from_bytes() -> None:
    q = QueryParams(b"a=1&b=%C3%A9")
    assert q["a"] == "1"
    assert q["b"] == "\xe9"
    # Raw (unescaped) bytes are decoded as latin-1, never rejected.
    assert QueryParams(b"a=\xff")["a"] == "\xff"


def test_query_params_stringifies_keys_and_values() -> None:
    q = QueryParams({"a": 1, 2: True})
    assert q.multi_items() == [("a", "1"), ("2", "True")]
    assert q["2"] == "True"
    assert QueryParams([("a", 1)], b=2).multi_items() == [("a", "1"), ("b", "2")]
    assert QueryParams("a=1", b=2).multi_items() == [("a", "1"), ("b", "2")]
    assert QueryParams(b"a=1", b=2).multi_items() == [("a", "1"), ("b", "2")]


def test_query_params_from_multidict() -> None:
    q = QueryParams(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    assert q.getlist("a") == ["1", "2"]


def test_query_params_too_many_args() -> None:
    with pytest.raises(AssertionError):
        QueryParams("a=1", "b=2")


def test_query_params_str_reencodes_special_characters() -> None:
    q = QueryParams({"q": "a&b=c", "x": "/?#"})
    assert str(q) == "q=a%26b%3Dc&x=%2F%3F%23"
    assert QueryParams(str(q)) == q


# ---------------------------------------------------------------------------------------------------------------------
# ImmutableMultiDict / MultiDict
# ---------------------------------------------------------------------------------------------------------------------


def test_immutable_multidict() -> None:
    q = ImmutableMultiDict([("a", "123"), ("a", "456"), ("b", "789")])
    assert "a" in q
    assert "c" not in q
    assert q["a"] == "456"
    assert q.get("a") == "456"
    assert q.get("nope") is None
    assert q.getlist("a") == ["123", "456"]
    assert list(q.keys()) == ["a", "b"]
    assert list(q.values()) == ["456", "789"]
    assert list(q.items()) == [("a", "456"), ("b", "789")]
    assert len(q) == 2
    assert list(q) == ["a", "b"]
    assert dict(q) == {"a": "456", "b": "789"}
    assert str(q) == "ImmutableMultiDict([('a', '123'), ('a', '456'), ('b', '789')])"
    assert repr(q) == "ImmutableMultiDict([('a', '123'), ('a', '456'), ('b', '789')])"
    assert ImmutableMultiDict({"a": "123", "b": "456"}) == ImmutableMultiDict([("a", "123"), ("b", "456")])
    assert ImmutableMultiDict({"a": "123", "b": "456"}) == ImmutableMultiDict({"b": "456", "a": "123"})
    assert ImmutableMultiDict() == ImmutableMultiDict({})
    assert ImmutableMultiDict({"a": "123", "b": "456"}) != "invalid"
    assert ImmutableMultiDict({"a": "1"}) != {"a": "1"}


def test_immutable_multidict_multi_items_is_a_copy() -> None:
    q = ImmutableMultiDict([("a", "1")])
    items = q.multi_items()
    items.append(("b", "2"))
    assert q.multi_items() == [("a", "1")]


def test_immutable_multidict_kwargs_and_other_multidict() -> None:
    q = ImmutableMultiDict([("a", "1")], b="2")
    assert q.multi_items() == [("a", "1"), ("b", "2")]
    assert ImmutableMultiDict(b="2").multi_items() == [("b", "2")]
    copy = ImmutableMultiDict(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    assert copy.getlist("a") == ["1", "2"]
    assert ImmutableMultiDict(iter([("x", "1")])).multi_items() == [("x", "1")]


def test_immutable_multidict_too_many_args() -> None:
    with pytest.raises(AssertionError):
        ImmutableMultiDict([], [])


def test_immutable_multidict_is_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(ImmutableMultiDict())


def test_multidict_setitem_and_delitem() -> None:
    q = MultiDict([("a", "123")])
    q["a"] = "456"
    assert q.multi_items() == [("a", "456")]
    q["b"] = "789"
    assert q.multi_items() == [("a", "456"), ("b", "789")]
    del q["a"]
    assert q.multi_items() == [("b", "789")]
    assert "a" not in q
    with pytest.raises(KeyError):
        del q["a"]


def test_multidict_pop() -> None:
    q = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert q.pop("a") == "3"
    assert q.multi_items() == [("b", "2")]
    assert q.pop("missing") is None
    assert q.pop("missing", "default") == "default"


def test_multidict_popitem() -> None:
    q = MultiDict([("a", "1"), ("b", "2"), ("b", "3")])
    assert q.popitem() == ("b", "3")
    assert q.multi_items() == [("a", "1")]
    assert q.popitem() == ("a", "1")
    with pytest.raises(KeyError):
        q.popitem()


def test_multidict_poplist() -> None:
    q = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert q.poplist("a") == ["1", "3"]
    assert q.multi_items() == [("b", "2")]
    assert q.poplist("missing") == []


def test_multidict_clear() -> None:
    q = MultiDict([("a", "1"), ("a", "2")])
    q.clear()
    assert q.multi_items() == []
    assert len(q) == 0


def test_multidict_setdefault() -> None:
    q = MultiDict([("a", "1")])
    assert q.setdefault("a", "x") == "1"
    assert q.setdefault("b", "2") == "2"
    assert q.setdefault("c") is None
    assert q.multi_items() == [("a", "1"), ("b", "2"), ("c", None)]


def test_multidict_setlist() -> None:
    q = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    q.setlist("a", ["x", "y"])
    assert q.multi_items() == [("b", "2"), ("a", "x"), ("a", "y")]
    assert q["a"] == "y"
    q.setlist("a", [])
    assert q.multi_items() == [("b", "2")]
    assert "a" not in q
    q.setlist("missing", [])
    assert q.multi_items() == [("b", "2")]


def test_multidict_append() -> None:
    q = MultiDict([("a", "1")])
    q.append("a", "2")
    assert q["a"] == "2"
    assert q.getlist("a") == ["1", "2"]


def test_multidict_update() -> None:
    q = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    q.update({"a": "x"}, c="y")
    assert q.multi_items() == [("b", "2"), ("a", "x"), ("c", "y")]
    q.update([("d", "1"), ("d", "2")])
    assert q.getlist("d") == ["1", "2"]
    q.update(MultiDict([("b", "9")]))
    assert q.multi_items() == [("a", "x"), ("c", "y"), ("d", "1"), ("d", "2"), ("b", "9")]
    q.update()
    assert len(q.multi_items()) == 5


def test_multidict_repr_and_eq() -> None:
    q = MultiDict([("a", "1")])
    assert repr(q) == "MultiDict([('a', '1')])"
    assert q == MultiDict({"a": "1"})
    assert q != MultiDict({"a": "2"})


# ---------------------------------------------------------------------------------------------------------------------
# UploadFile / FormData
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_upload_file_in_memory() -> None:
    stream = io.BytesIO()
    upload = UploadFile(stream, filename="a.txt", size=0)
    await upload.write(b"hello ")
    await upload.write(b"world")
    assert upload.size == 11
    await upload.seek(0)
    assert await upload.read(5) == b"hello"
    assert await upload.read() == b" world"
    await upload.close()
    assert stream.closed


@pytest.mark.anyio
async def test_upload_file_size_none_is_not_tracked() -> None:
    upload = UploadFile(io.BytesIO())
    await upload.write(b"data")
    assert upload.size is None


def test_upload_file_attributes() -> None:
    headers = Headers({"content-type": "text/plain"})
    upload = UploadFile(io.BytesIO(b"x"), filename="a.txt", size=1, headers=headers)
    assert upload.filename == "a.txt"
    assert upload.size == 1
    assert upload.headers is headers
    assert upload.content_type == "text/plain"
    assert repr(upload) == ("UploadFile(filename='a.txt', size=1, headers=Headers({'content-type': 'text/plain'}))")
    bare = UploadFile(io.BytesIO())
    assert bare.filename is None
    assert bare.content_type is None
    assert bare.headers == Headers()


class RecordingSpooledFile:
    """A SpooledTemporaryFile that records the thread each operation ran in."""

    def __init__(self, max_size: int) -> None:
        import threading

        self._threading = threading
        self.file = tempfile.SpooledTemporaryFile(max_size=max_size)  # noqa: SIM115
        self.threads: dict[str, list[bool]] = {"write": [], "read": [], "seek": [], "close": []}

    @property
    def _max_size(self) -> int:
        return self.file._max_size  # type: ignore[attr-defined,no-any-return]

    @property
    def _rolled(self) -> bool:
        return self.file._rolled  # type: ignore[attr-defined,no-any-return]

    def _record(self, name: str) -> None:
        self.threads[name].append(self._threading.current_thread() is self._threading.main_thread())

    def tell(self) -> int:
        return self.file.tell()

    def write(self, data: bytes) -> int:
        self._record("write")
        return self.file.write(data)

    def read(self, size: int = -1) -> bytes:
        self._record("read")
        return self.file.read(size)

    def seek(self, offset: int) -> int:
        self._record("seek")
        return self.file.seek(offset)

    def close(self) -> None:
        self._record("close")
        self.file.close()


@pytest.mark.anyio
async def test_upload_file_in_memory_spooled_file_does_io_inline() -> None:
    spooled = RecordingSpooledFile(max_size=1024)
    upload = UploadFile(spooled, size=0)  # type: ignore[arg-type]
    await upload.write(b"small")
    await upload.seek(0)
    assert await upload.read() == b"small"
    await upload.close()
    assert not spooled._rolled
    # True = ran on the event loop thread.
    assert spooled.threads == {"write": [True], "read": [True], "seek": [True], "close": [True]}


@pytest.mark.anyio
async def test_upload_file_rolled_spooled_file_does_io_in_thread_pool() -> None:
    spooled = RecordingSpooledFile(max_size=10)
    upload = UploadFile(spooled, size=0)  # type: ignore[arg-type]
    await upload.write(b"12345")  # stays in memory
    await upload.write(b"1234567890")  # will roll over: written in a worker thread
    assert spooled._rolled
    await upload.write(b"more")  # already on disk
    await upload.seek(0)
    assert await upload.read() == b"123451234567890more"
    await upload.close()
    assert upload.size == 19
    assert spooled.threads == {"write": [True, False, False], "read": [False], "seek": [False], "close": [False]}


@pytest.mark.anyio
async def test_upload_file_unlimited_spooled_file_never_rolls() -> None:
    spooled = RecordingSpooledFile(max_size=0)
    upload = UploadFile(spooled)  # type: ignore[arg-type]
    await upload.write(b"x" * 10_000)
    assert spooled.threads["write"] == [True]
    await upload.close()


@pytest.mark.anyio
async def test_upload_file_real_file_uses_thread_pool(tmp_path: Any) -> None:
    import threading

    main_thread = threading.main_thread()
    seen: list[bool] = []

    class Recording(io.FileIO):
        def write(self, data: Any) -> int:
            seen.append(threading.current_thread() is main_thread)
            return super().write(data)

    raw: BinaryIO = Recording(str(tmp_path / "f.bin"), "w+")
    upload = UploadFile(raw, filename="f.bin")
    await upload.write(b"abc")
    await upload.seek(0)
    assert await upload.read() == b"abc"
    await upload.close()
    assert raw.closed
    assert seen == [False]


@pytest.mark.anyio
async def test_form_data_close_closes_upload_files() -> None:
    file1 = UploadFile(io.BytesIO(b"1"), filename="1.txt")
    file2 = UploadFile(io.BytesIO(b"2"), filename="2.txt")
    form = FormData([("a", "x"), ("f", file1), ("f", file2)])
    assert form.getlist("f") == [file1, file2]
    assert form["a"] == "x"
    await form.close()
    assert file1.file.closed
    assert file2.file.closed


def test_form_data() -> None:
    upload = UploadFile(io.BytesIO(b"x"), filename="file.txt")
    form = FormData([("a", "123"), ("a", "456"), ("b", upload)])
    assert "a" in form
    assert "c" not in form
    assert form["a"] == "456"
    assert form["b"] is upload
    assert form.getlist("a") == ["123", "456"]
    assert list(form.keys()) == ["a", "b"]
    assert len(form) == 2
    assert repr(form).startswith("FormData([('a', '123'), ('a', '456'), ('b', UploadFile(filename='file.txt'")
    assert FormData(form) == form
    assert FormData({"a": "123", "b": "789"}) == FormData([("a", "123"), ("b", "789")])
    assert FormData({"a": "123", "b": "789"}) != {"a": "123", "b": "789"}
    assert FormData(a="1").multi_items() == [("a", "1")]


# ---------------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------------


def test_address() -> None:
    address = Address("127.0.0.1", 8000)
    assert address.host == "127.0.0.1"
    assert address.port == 8000
    assert address == ("127.0.0.1", 8000)
    host, port = address
    assert (host, port) == ("127.0.0.1", 8000)
    assert repr(address) == "Address(host='127.0.0.1', port=8000)"


def test_secret() -> None:
    value = Secret("a-secret")
    assert repr(value) == "Secret('**********')"
    assert str(value) == "a-secret"
    assert bool(value)
    assert not Secret("")


def test_comma_separated_strings() -> None:
    csv = CommaSeparatedStrings('localhost, 127.0.0.1,example.org , "a, b"')
    assert list(csv) == ["localhost", "127.0.0.1", "example.org", "a, b"]
    assert len(csv) == 4
    assert csv[0] == "localhost"
    assert csv[1:3] == ["127.0.0.1", "example.org"]
    assert repr(csv) == "CommaSeparatedStrings(['localhost', '127.0.0.1', 'example.org', 'a, b'])"
    assert str(csv) == "'localhost', '127.0.0.1', 'example.org', 'a, b'"
    assert "example.org" in csv


def test_comma_separated_strings_from_sequence() -> None:
    csv = CommaSeparatedStrings(["a", "b"])
    assert list(csv) == ["a", "b"]
    assert list(CommaSeparatedStrings("")) == []


def test_state() -> None:
    state = State()
    state.a = 1
    assert state.a == 1
    assert state._state == {"a": 1}
    del state.a
    with pytest.raises(AttributeError, match="'State' object has no attribute 'a'"):
        state.a  # noqa: B018
    with pytest.raises(KeyError):
        del state.a


def test_state_wraps_the_given_dict() -> None:
    data = {"db": "connection"}
    state = State(data)
    assert state.db == "connection"
    state.cache = "c"
    assert data == {"db": "connection", "cache": "c"}


@pytest.mark.anyio
async def test_upload_file_thread_pool_io_does_not_block_other_tasks(tmp_path: Any) -> None:
    # While a slow read of a rolled-over file happens in a worker thread, the event loop keeps running.
    import threading

    release = threading.Event()
    slow: BinaryIO = open(tmp_path / "x", "w+b")  # noqa: SIM115
    slow.write(b"data")
    slow.seek(0)
    disk_upload = UploadFile(slow)
    original_read = slow.read

    def blocking_read(size: int = -1) -> bytes:
        release.wait(5)
        return original_read(size)

    slow.read = blocking_read  # type: ignore[method-assign]
    result: list[bytes] = []

    async def reader() -> None:
        result.append(await disk_upload.read())

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        await anyio.sleep(0.01)
        assert result == []  # still waiting in the worker thread, yet this task runs
        release.set()
    assert result == [b"data"]
    await disk_upload.close()
