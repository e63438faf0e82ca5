"""``If-None-Match`` as upstream 0.47.3 reads it: a comma-separated list of tags, each stripped of spaces and ``W/``,
one of which must equal the response's ``ETag``; a ``*`` inside a list (``"foo,*,bar"``, ``"a", *``) is no
wildcard. Two deliberate differences, as upstream 1.x and RFC 9110: a lone ``*`` matches any file, and a
present ``If-None-Match`` is the only condition (``If-Modified-Since`` is then not read)."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlette_core.datastructures import Headers
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing.staticfiles import StaticFiles

TestClientFactory = Callable[..., Any]

ETAG = '"etag"'
app = StaticFiles(directory=None, check_dir=False)


def not_modified(if_none_match: str, etag: str | None = ETAG) -> bool:
    response_headers = Headers({} if etag is None else {"etag": etag})
    return app.is_not_modified(response_headers, Headers({"if-none-match": if_none_match}))


# (If-None-Match, whether it matches the ETag '"etag"'): upstream 0.47.3's answers, the lone "*" aside.
CASES = [
    ('"etag"', True),
    ('W/"etag"', True),
    ('"a", "etag"', True),
    ('"a","etag"', True),
    ('"a" ,"etag"', True),
    ('"a", W/"etag"', True),
    ('"etag",', True),
    (',"etag"', True),
    ('"a",,"etag"', True),
    (' "etag"', True),
    ('"etag" ', True),
    ('W/ "etag"', True),  # spaces and "W/" are stripped in any order
    ('"a"\n,"etag"', True),
    ('"foo,*,bar"', False),  # "*" inside a list is a tag like any other
    ('"foo", *, "bar"', False),
    ('"foo",*', False),
    ('*,"foo"', False),
    ("**", False),
    ('"*"', False),
    ("W/*", False),
    ('"a"\t,\t"etag"', False),  # only spaces are stripped
    ("etag", False),
    ('"ETAG"', False),
    ('w/"etag"', False),
    ('"etag";x', False),
    ('"a,b"', False),
    (",", False),
    (" ", False),
    ("*", True),  # RFC 9110 (upstream 1.x; 0.47.3: False)
    (" * ", True),
]


@pytest.mark.parametrize(("if_none_match", "expected"), CASES)
def test_if_none_match(if_none_match: str, expected: bool) -> None:
    assert not_modified(if_none_match) is expected


@pytest.mark.parametrize(
    ("etag", "if_none_match", "expected"),
    [
        ('W/"etag"', 'W/"etag"', False),  # the response's tag is compared as it is, as upstream
        ('W/"etag"', '"etag"', False),
        ("etag", "etag", True),
        ("etag", '"etag"', False),
        (None, '"etag"', False),  # no ETag: nothing matches a list
        (None, "*", True),
        ('W/"etag"', "*", True),
    ],
)
def test_the_response_etag_as_it_is(etag: str | None, if_none_match: str, expected: bool) -> None:
    assert not_modified(if_none_match, etag) is expected


@given(
    tags=st.lists(st.text(alphabet='"aetgW/*, \t', max_size=8), max_size=6),
    etag=st.text(alphabet='"aetgW/*, ', max_size=8),
)
def test_matches_when_a_stripped_tag_is_the_etag(tags: list[str], etag: str) -> None:
    header = ",".join(tags)
    expected = header.strip() == "*" or any(tag.strip(" W/") == etag for tag in header.split(","))
    assert not_modified(header, etag) is (bool(header) and expected)


def test_if_none_match_wins_over_if_modified_since() -> None:
    last_modified = formatdate(usegmt=True)
    response_headers = Headers({"etag": ETAG, "last-modified": last_modified})
    fresh = {"if-modified-since": last_modified}
    assert app.is_not_modified(response_headers, Headers(fresh)) is True
    assert app.is_not_modified(response_headers, Headers({**fresh, "if-none-match": '"other"'})) is False
    assert app.is_not_modified(response_headers, Headers({**fresh, "if-none-match": '"foo,*,bar"'})) is False
    assert app.is_not_modified(response_headers, Headers({**fresh, "if-none-match": ""})) is True  # (empty: absent)


def test_through_a_client(tmp_path: Path, test_client_factory: TestClientFactory) -> None:
    (tmp_path / "file.txt").write_text("content")
    client = test_client_factory(ExceptionMiddleware(StaticFiles(directory=tmp_path)))
    etag = client.get("/file.txt").headers["etag"]
    for header, status in [
        (etag, 304),
        (f"W/{etag}", 304),
        (f'"a", {etag}', 304),
        ("*", 304),
        ('"foo,*,bar"', 200),
        ('"a", *', 200),
        ('"other"', 200),
    ]:
        response = client.get("/file.txt", headers={"if-none-match": header})
        assert response.status_code == status, header
        assert response.text == ("content" if status == 200 else "")
