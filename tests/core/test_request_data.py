"""request.query_params / headers / cookies: the fast constructors give what the public ones give."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlette_core.datastructures import Headers, MutableHeaders, QueryParams
from starlette_core.requests import HTTPConnection, cookie_parser


def make_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "http", "path": "/", "query_string": b"", "headers": []}
    scope.update(overrides)
    return scope


def test_query_params_of_bytes_and_of_str() -> None:
    raw = b"q=hello+world&tag=a&tag=b&caf%C3%A9=cr%C3%A8me&x=%26&blank&=v"
    from_bytes = HTTPConnection(make_scope(query_string=raw)).query_params
    assert type(from_bytes) is QueryParams
    assert from_bytes == QueryParams(raw)
    assert from_bytes.multi_items() == QueryParams(raw).multi_items()
    assert from_bytes.getlist("tag") == ["a", "b"]
    assert from_bytes["café"] == "crème"
    assert str(from_bytes) == str(QueryParams(raw))
    # A server that puts a str in the scope (not what ASGI says) still gets the public constructor's result.
    from_str = HTTPConnection(make_scope(query_string="a=1&a=%C3%A9")).query_params
    assert from_str.multi_items() == [("a", "1"), ("a", "é")]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=hello+world&tag=a&tag=b&tag=c&page=3",
        "&&a&=&=v&a=1=2&+=+&",
        "q=hello+world&x=%20y%2Bz",
        "amp=%26&eq=%3D&plus=%2B+%2b",
        "bad=%E2%9C&also=%zz&trail=%",
    ],
)
def test_query_params_with_and_without_escapes(query: str) -> None:
    # Query strings without "%" are split directly; either way the pairs are parse_qsl's.
    params = HTTPConnection(make_scope(query_string=query.encode("latin-1"))).query_params
    expected = parse_qsl(query, keep_blank_values=True)
    assert params.multi_items() == expected
    assert dict(params) == dict(expected)  # the last value of a repeated name
    assert list(params) == list(dict(expected))


def test_query_params_on_random_strings() -> None:
    rnd = random.Random(7)
    tokens = ["a", "b", "=", "&", "+", " ", "%", "%2", "%26", "%3D", "%2B", "%41", "%C3%A9", "\xe9"]
    for _ in range(2000):
        query = "".join(rnd.choice(tokens) for _ in range(rnd.randint(0, 10)))
        params = HTTPConnection(make_scope(query_string=query.encode("latin-1"))).query_params
        expected = parse_qsl(query, keep_blank_values=True)
        assert params.multi_items() == expected, query
        assert dict(params) == dict(expected), query  # the last value of a repeated name


def test_latin_1_bytes_in_the_query_string() -> None:
    params = HTTPConnection(make_scope(query_string=b"a=\xe9&\xff=%FF")).query_params
    assert params.multi_items() == [("a", "é"), ("ÿ", "\ufffd")]


def test_headers_from_the_scope_share_its_list() -> None:
    original = [(b"host", b"example.com"), (b"x-a", b"1"), (b"x-a", b"2")]
    scope = make_scope(headers=iter(original))
    headers = HTTPConnection(scope).headers
    assert type(headers) is Headers
    assert headers == Headers(raw=original)
    assert headers.raw is scope["headers"]
    assert headers["x-a"] == "1"
    # Changes to the scope's list show up in later lookups; the original iterable's list is left alone.
    scope["headers"][1:3] = [(b"x-a", b"3")]
    assert headers["x-a"] == "3"
    assert headers.getlist("x-a") == ["3"]
    assert "x-b" not in headers
    scope["headers"].append((b"x-b", b"4"))
    assert headers.get("x-b") == "4"
    assert "X-B" in headers
    assert original[1] == (b"x-a", b"1")


def test_header_lookups_rebuild_after_any_change() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1")])
    assert headers["a"] == "1"
    headers.raw[0] = (b"a", b"2")
    assert headers.get("a") == "2"
    headers.raw.clear()
    assert "a" not in headers
    assert headers.get("a", "none") == "none"
    headers.append("A", "3")
    assert headers["a"] == "3"


def test_cookie_parser_unquotes_only_when_there_are_quotes() -> None:
    assert cookie_parser('a=b; c="d"; e="x\\"y"; f="\\101"') == {"a": "b", "c": "d", "e": 'x"y', "f": "A"}
    assert cookie_parser("a=b; c=d;e = f ;bare; =; ;") == {"a": "b", "c": "d", "e": "f", "": "bare"}
    assert cookie_parser('a="b') == {"a": '"b'}


def test_cookies_come_from_every_cookie_header_whether_or_not_headers_were_read() -> None:
    raw = [(b"host", b"example.com"), (b"cookie", b"a=1; b=2"), (b"x", b"y"), (b"cookie", b"c=3; a=4")]
    unread = HTTPConnection(make_scope(headers=list(raw)))
    assert unread.cookies == {"a": "4", "b": "2", "c": "3"}
    read_first = HTTPConnection(make_scope(headers=list(raw)))
    assert read_first.headers["cookie"] == "a=1; b=2"
    assert read_first.cookies == {"a": "4", "b": "2", "c": "3"}
    assert HTTPConnection(make_scope(headers=[(b"host", b"example.com")])).cookies == {}


class InjectedCookie(HTTPConnection):
    """A connection whose headers are the scope's plus a cookie header of its own, placed first."""

    @property
    def headers(self) -> Headers:
        headers = MutableHeaders(raw=[(b"cookie", b"injected=yes"), *super().headers.raw])
        return headers


@pytest.mark.parametrize("read_headers_first", [False, True])
def test_cookies_come_from_a_subclass_headers(read_headers_first: bool) -> None:
    conn = InjectedCookie(make_scope(headers=[(b"cookie", b"a=1")]))
    if read_headers_first:  # the base class's headers are cached by then; the subclass's are still what counts
        assert conn.headers["cookie"] == "injected=yes"
    assert conn.cookies == {"injected": "yes", "a": "1"}


_header_names = st.sampled_from([b"cookie", b"Cookie", b"host", b"x-cookie", b"cookies"])
_header_values = st.binary(max_size=12)


@given(raw=st.lists(st.tuples(_header_names, _header_values), max_size=6))
def test_cookies_are_what_the_public_headers_give(raw: list[tuple[bytes, bytes]]) -> None:
    # request.cookies reads the raw list itself: it must give what joining the public getlist("cookie") gives,
    # for no, one or several Cookie headers, empty ones included (the raw names are lower-case in ASGI, so
    # b"Cookie" is another header).
    expected_header = "; ".join(Headers(raw=list(raw)).getlist("cookie"))
    expected = cookie_parser(expected_header) if expected_header else {}
    assert HTTPConnection(make_scope(headers=list(raw))).cookies == expected
