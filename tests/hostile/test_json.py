"""JSON bodies through ``request.json()`` behind an endpoint that answers ``ValueError`` (``JSONDecodeError``,
``UnicodeDecodeError``, too many digits) with a 400: any body, in any chunks, gives what ``json.loads`` gives (the
same value, or an exception of the same type; nesting too deep for the decoder is a ``JSONDecodeError``), and so a
200 or a 400, never an exception escaping the endpoint.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Union

import anyio
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ._drive import HOSTILE, assert_answered, chunked, http, http_scope

# What the endpoint got from request.json() for the last request: the value, or the exception.
seen: list[Union[Any, BaseException]] = []


async def parse(request: Request) -> PlainTextResponse:
    try:
        value = await request.json()
    except ValueError as exc:
        seen.append(exc)
        return PlainTextResponse(f"Invalid JSON: {type(exc).__name__}", status_code=400)
    seen.append(value)
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/json", parse, methods=["POST"])])


def same(left: Any, right: Any) -> bool:
    """Equal JSON values, NaN equal to NaN (shallow documents only: this recurses)."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    return bool(left == right)


def post(backend: str, body: bytes, cuts: Sequence[int]) -> Union[Any, BaseException]:
    """What the endpoint got from request.json() for ``body``, delivered in chunks."""
    seen.clear()
    chunks = chunked(body, cuts)
    scope = http_scope("/json", method="POST", headers=[(b"content-type", b"application/json")])
    answer = anyio.run(http, app, scope, chunks, backend=backend)
    assert_answered(answer, {200, 400})
    event(f"status {answer.status}")
    assert answer.receives <= len(chunks)
    (got,) = seen
    assert (answer.status == 400) is isinstance(got, BaseException)
    return got


def post_and_compare(backend: str, body: bytes, cuts: Sequence[int]) -> None:
    got = post(backend, body, cuts)
    try:
        expected: Any = json.loads(body)
    except RecursionError:
        assert isinstance(got, json.JSONDecodeError), got
        return
    except ValueError as exc:
        assert type(got) is type(exc), (got, exc)
        return
    assert same(got, expected)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])


@HOSTILE
@given(
    value=json_values,
    ensure_ascii=st.booleans(),
    indent=st.none() | st.integers(min_value=0, max_value=3),
    encoding=encodings,
    padding=st.sampled_from(["", " ", "\n", "\t\r\n ", "\x0c"]),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_valid_documents_decode_as_json_loads_does(
    anyio_backend: str,
    value: Any,
    ensure_ascii: bool,
    indent: Union[int, None],
    encoding: str,
    padding: str,
    cuts: list[int],
) -> None:
    text = padding + json.dumps(value, ensure_ascii=ensure_ascii, indent=indent) + padding
    post_and_compare(anyio_backend, text.encode(encoding, "surrogatepass"), cuts)


@st.composite
def mangled_documents(draw: st.DrawFn) -> bytes:
    data = bytearray(json.dumps(draw(json_values)).encode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.integers(min_value=0, max_value=len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "truncate"]))
        if edit == "insert":
            data[where:where] = draw(
                st.sampled_from([b"[", b"{", b'"', b"\\", b"\\u", b"\\ud800", b",", b":", b"\x00", b"\xff", b"NaN"])
                | st.binary(max_size=4)
            )
        elif edit == "delete":
            del data[where : where + draw(st.integers(min_value=1, max_value=4))]
        else:
            del data[where:]
    return bytes(data)


@HOSTILE
@given(
    body=st.one_of(
        mangled_documents(),
        st.binary(max_size=64),
        st.sampled_from(
            [b"", b" ", b"\xef\xbb\xbf", b"\xef\xbb\xbf{}", b"\x00\x00\x00[", b"\xff\xfe", b"nul", b"1" * 5000]
        ),
        st.sampled_from([b'"\\ud800"', b'"\xed\xa0\x80"', b"[1,]", b"{'a': 1}", b"-", b"01", b"1e999", b"[-Infinity]"]),
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_any_body_is_answered_as_json_loads_would(anyio_backend: str, body: bytes, cuts: list[int]) -> None:
    post_and_compare(anyio_backend, body, cuts)


@HOSTILE
@given(
    depth=st.integers(min_value=500, max_value=200_000),
    opener=st.sampled_from(["[", '{"a":', "[{}, ", " [\n"]),
    closed=st.booleans(),
    prefix=st.sampled_from(["", " ", "\ufeff"]),
)
def test_deep_nesting_is_answered(anyio_backend: str, depth: int, opener: str, closed: bool, prefix: str) -> None:
    """Closed or not, a deep document is a value or a JSONDecodeError (how deep the decoder follows depends on the
    stack it runs on: no comparison with json.loads here)."""
    closer = {"[": "]", '{"a":': "}", "[{}, ": "]", " [\n": "]"}[opener]
    text = prefix + opener * depth + "0" + (closer * depth if closed else "")
    got = post(anyio_backend, text.encode(), [])
    if isinstance(got, BaseException):
        assert isinstance(got, json.JSONDecodeError), got
    else:
        assert closed
