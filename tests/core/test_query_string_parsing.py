"""QueryParams parses query strings exactly as urllib.parse.parse_qsl(..., keep_blank_values=True)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from starlette_core.datastructures import QueryParams

CASES = [
    "",
    "a=1",
    "a=1&b=2&a=3",
    "a",
    "a=",
    "=",
    "=x",
    "&&a=1&&",
    "a=1=2",
    "q=hello+world&x=%20y%2Bz",
    "na+me=va+lue",
    "%E2%9C%93=%E2%9C%93",
    "bad=%E2%9C&also=%zz&trail=%",
    "semi=a;b",
    "plus%2Bsign=1",
    "k=v&k&k=&k=w",
    "caf%C3%A9=cr%C3%A8me+br%C3%BBl%C3%A9e",
]


@pytest.mark.parametrize("query", CASES)
def test_same_pairs_as_parse_qsl(query: str) -> None:
    expected = parse_qsl(query, keep_blank_values=True)
    assert QueryParams(query).multi_items() == expected
    assert QueryParams(query.encode("utf-8").decode("latin-1").encode("latin-1")).multi_items() == expected
    assert dict(QueryParams(query)) == dict(expected)


def test_bytes_are_decoded_as_latin_1() -> None:
    assert QueryParams(b"a=\xe9").multi_items() == [("a", "\xe9")]


def test_keyword_arguments_are_added_after_the_query_string() -> None:
    params = QueryParams("a=1&b=2", c=3)
    assert params.multi_items() == [("a", "1"), ("b", "2"), ("c", "3")]
    assert params["c"] == "3"
