"""QueryParams parses query strings exactly as urllib.parse.parse_qsl(..., keep_blank_values=True)."""

from __future__ import annotations

import random
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
    "amp=%26%26&eq=%3D%3d&x%26y%3Dz=1&%2=%26",
    "cut=%C3%26&%A9=%3D%E2%82",
    "escaped-stand-in=%EE%80%A6%26&b=%ee%80%bd%3d",
    "escaped-stand-in-only=%EE%80%A6&b=%41",
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


def test_same_pairs_as_parse_qsl_on_random_strings() -> None:
    # Raw non-ASCII text too (and the stand-ins the parser uses for escaped "&" and "=").
    rnd = random.Random(5)
    tokens = ["a", "b", "=", "&", "+", "%", "%2", "%26", "%3D", "%3d", "%41", "%C3", "%A9", "%E2%82", "%zz", "é"]
    tokens += ["\ue026", "\ue03d", "%EE%80%A6", "%ee%80%bd", ";", " "]
    for _ in range(3000):
        query = "".join(rnd.choice(tokens) for _ in range(rnd.randint(0, 12)))
        assert QueryParams(query).multi_items() == parse_qsl(query, keep_blank_values=True), query
