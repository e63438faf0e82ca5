"""``Cookie`` headers through ``request.cookies``: any bytes give a dict of strings (never an exception), and a
well-formed header gives its pairs, a later duplicate winning, whitespace around names and values dropped.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import anyio
from hypothesis import given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._drive import HOSTILE, Answer, assert_answered, http, http_scope


async def echo_cookies(request: Request) -> JSONResponse:
    return JSONResponse(request.cookies)


app = Starlette(routes=[Route("/", echo_cookies)])


def get(backend: str, cookie_headers: Sequence[bytes]) -> Answer:
    scope = http_scope("/", headers=[(b"cookie", header) for header in cookie_headers])
    answer = anyio.run(http, app, scope, backend=backend)
    assert_answered(answer, {200})
    cookies = answer.json()
    assert isinstance(cookies, dict)
    assert all(isinstance(value, str) for value in cookies.values())
    return answer


# RFC 6265 token characters for names, cookie-octets for values (no quotes, no backslashes).
TOKEN = "".join(sorted(set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")))
OCTETS = "".join(sorted(set(string.printable) - set(' \t\n\r\x0b\x0c";,\\')))
pairs = st.lists(
    st.tuples(st.text(alphabet=TOKEN, min_size=1, max_size=10), st.text(alphabet=OCTETS, max_size=20)), max_size=8
)
spacing = st.sampled_from(["; ", ";", " ; ", ";\t"])


@HOSTILE
@given(pairs=pairs, separator=spacing)
def test_well_formed_cookies_are_read(anyio_backend: str, pairs: list[tuple[str, str]], separator: str) -> None:
    header = separator.join(f"{name}={value}" for name, value in pairs)
    answer = get(anyio_backend, [header.encode("latin-1")])
    assert answer.json() == dict(pairs)


hostile_chunks = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=255), max_size=30),
    st.sampled_from(['"', '""', '"\\"', "\\", "\\377", '"\\012"', '"\\400"', "=", "==", ";;", "\x00", "\xff", 'a="b']),
)


@HOSTILE
@given(
    headers=st.lists(
        st.one_of(st.binary(max_size=200), st.lists(hostile_chunks, max_size=12).map(";".join).map(str.encode)),
        min_size=1,
        max_size=3,
    )
)
def test_any_cookie_header_is_read(anyio_backend: str, headers: list[bytes]) -> None:
    get(anyio_backend, headers)


def test_a_huge_cookie_header_is_read(anyio_backend: str) -> None:
    header = b"; ".join(b"n%d=%s" % (index, b'"\\' + b"x" * 10 + b'"') for index in range(20_000))
    cookies = get(anyio_backend, [header + b"; " + b";" * 100_000 + b'"' * 100_000]).json()
    assert len(cookies) == 20_000 + 1
